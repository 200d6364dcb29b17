// What a topic may be: names, limits and defaults, shared by the controller and its clients.
import { DepotError } from '../../util/errors.js';
import type { TopicSettings } from '../../protocol/native/topics.js';

export const TOPIC_NAME = /^[A-Za-z0-9._-]{1,200}$/;
export const MAX_QUEUES = 65_536;
export const MAX_MESSAGE_BYTES_LIMIT = 64 * 1024 * 1024;

export const TOPIC_DEFAULTS: TopicSettings = {
  queues: 8,
  retentionMs: 72 * 3600 * 1000,
  maxMessageBytes: 4 * 1024 * 1024,
  flush: 'sync',
};

export function validateTopic(name: string, s: TopicSettings): void {
  if (!TOPIC_NAME.test(name)) {
    throw new DepotError('INVALID_TOPIC', `topic name '${name}' must be 1 to 200 of A-Z a-z 0-9 . _ -`);
  }
  if (!Number.isInteger(s.queues) || s.queues < 1 || s.queues > MAX_QUEUES) {
    throw new DepotError('INVALID_TOPIC', `a topic has 1 to ${MAX_QUEUES} queues, not ${s.queues}`);
  }
  if (!Number.isInteger(s.maxMessageBytes) || s.maxMessageBytes < 1 || s.maxMessageBytes > MAX_MESSAGE_BYTES_LIMIT) {
    throw new DepotError('INVALID_TOPIC', `max message size must be 1 to ${MAX_MESSAGE_BYTES_LIMIT} bytes, not ${s.maxMessageBytes}`);
  }
  if (!Number.isSafeInteger(s.retentionMs) || s.retentionMs < 0) {
    throw new DepotError('INVALID_TOPIC', `retention must be a non-negative number of ms, not ${s.retentionMs}`);
  }
  if (s.flush !== 'sync' && s.flush !== 'async') throw new DepotError('INVALID_TOPIC', `flush policy is 'sync' or 'async', not '${String(s.flush)}'`);
}
