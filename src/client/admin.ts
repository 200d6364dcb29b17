// Administration: topics and consumer groups.
import { Api } from '../protocol/native/apis.js';
import { decodeGroupDescription, decodeGroupList, decodeOffsets, encodeGroupKey, encodeResetRequest, type GroupDescription, type GroupSummary, type ResetTarget } from '../protocol/native/group-admin.js';
import { decodeTopicDescription, decodeTopicInfo, decodeTopicList, encodeCreateTopic, encodeName, type TopicDescription, type TopicInfo, type TopicSettings } from '../protocol/native/topics.js';
import type { Connection } from './connection.js';

/** Defaults of a new topic; the server applies the same limits. */
export const DEFAULT_TOPIC_SETTINGS: TopicSettings = { queues: 8, retentionMs: 72 * 3600 * 1000, maxMessageBytes: 4 * 1024 * 1024, flush: 'sync' };

export class Admin {
  constructor(private readonly conn: Connection) {}

  async createTopic(name: string, settings: Partial<TopicSettings> = {}): Promise<TopicInfo> {
    const body = encodeCreateTopic(name, { ...DEFAULT_TOPIC_SETTINGS, ...settings });
    return decodeTopicInfo(await this.conn.request(Api.CreateTopic, [body]));
  }

  async deleteTopic(name: string): Promise<void> {
    await this.conn.request(Api.DeleteTopic, [encodeName(name)]);
  }

  async listTopics(): Promise<TopicInfo[]> {
    return decodeTopicList(await this.conn.request(Api.ListTopics, []));
  }

  async describeTopic(name: string): Promise<TopicDescription> {
    return decodeTopicDescription(await this.conn.request(Api.DescribeTopic, [encodeName(name)]));
  }

  async listGroups(): Promise<GroupSummary[]> {
    return decodeGroupList(await this.conn.request(Api.ListGroups, []));
  }

  async describeGroup(group: string, topic: string): Promise<GroupDescription> {
    return decodeGroupDescription(await this.conn.request(Api.DescribeGroup, [encodeGroupKey(group, topic)]));
  }

  /** Moves a group's committed offsets; live members continue from the new positions. */
  async resetOffsets(group: string, topic: string, to: ResetTarget): Promise<Array<{ queue: number; offset: number }>> {
    return decodeOffsets(await this.conn.request(Api.ResetOffsets, [encodeResetRequest({ group, topic, to })]));
  }
}
