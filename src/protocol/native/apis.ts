// API numbers of the native protocol (the `api` field of the frame header). Stored nowhere, but
// spoken by every client: append only, never renumber. docs/protocol.md describes each body.

export const PROTOCOL_VERSION = 1;

export const Api = {
  Hello: 1,
  CreateTopic: 2,
  DeleteTopic: 3,
  ListTopics: 4,
  DescribeTopic: 5,
  Produce: 10,
  JoinGroup: 20,
  Heartbeat: 21,
  LeaveGroup: 22,
  Fetch: 23,
  Subscribe: 24,
  Credit: 25,
  CommitOffsets: 26,
  ListGroups: 30,
  DescribeGroup: 31,
  ResetOffsets: 32,
  GetMessage: 40,
  FindByKey: 41,
  FindByTime: 42,
  /** Push: messages for a subscription; correlationId is the Subscribe request's. */
  Deliver: 100,
  /** Push: a member's queue assignment changed; correlationId is the JoinGroup request's. */
  Assignment: 101,
} as const;
export type Api = (typeof Api)[keyof typeof Api];

const names = new Map<number, string>(Object.entries(Api).map(([k, v]) => [v, k]));

export function apiName(api: number): string {
  return names.get(api) ?? `api ${api}`;
}
