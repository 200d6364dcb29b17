// Public surface of `depot/client`.
export { Depot, type DepotOptions } from './depot.js';
export { Admin, DEFAULT_TOPIC_SETTINGS, type FoundMessage } from './admin.js';
export { Producer, type ProducerOptions, type Message, type SendResult } from './producer.js';
export { Consumer, type ConsumerOptions, type ConsumedMessage } from './consumer.js';
export { DepotError, isDepotError, type ErrorCode } from '../util/errors.js';
export type { TopicInfo, TopicSettings, TopicDescription, QueueInfo, FlushPolicy } from '../protocol/native/topics.js';
export type { GroupDescription, GroupSummary, QueueProgress, ResetTarget } from '../protocol/native/group-admin.js';
export type { GroupMode, StartPosition } from '../protocol/native/membership.js';
export { parseMessageId, formatMessageId, type MessageLocation } from '../protocol/native/message-id.js';
