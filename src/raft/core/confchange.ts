// Membership changes, one server at a time (thesis §4.1, etcd "apply at apply time"): a change
// is an ordinary log entry and takes effect on each node when that node applies it. The leader
// admits a new change only once the previous one is applied, and only after it has committed
// an entry of its own term (the fix to the single-server algorithm from the raft-dev list), so
// two configurations in effect at once always share a majority.
import { DepotError } from '../../util/errors.js';
import type { ConfState, NodeId } from './types.js';

/** Wire values: stored in ConfChange entries, append only. */
export const ConfChangeType = {
  AddVoter: 0,
  AddLearner: 1,
  RemoveNode: 2,
} as const;
export type ConfChangeType = (typeof ConfChangeType)[keyof typeof ConfChangeType];

export interface ConfChange {
  type: ConfChangeType;
  node: NodeId;
  /** The node's address for the transport ('' when not needed, e.g. on removal). */
  address: string;
}

//   0  1  type
//   1  4  node id (u32 BE)
//   5  *  address, UTF-8
export function encodeConfChange(cc: ConfChange): Buffer {
  const addr = Buffer.from(cc.address, 'utf8');
  const out = Buffer.allocUnsafe(5 + addr.length);
  out.writeUInt8(cc.type, 0);
  out.writeUInt32BE(cc.node, 1);
  addr.copy(out, 5);
  return out;
}

export function decodeConfChange(buf: Buffer): ConfChange {
  if (buf.length < 5) throw new DepotError('BAD_REQUEST', `conf change of ${buf.length} bytes is too short`);
  const type = buf.readUInt8(0);
  if (type > ConfChangeType.RemoveNode) throw new DepotError('BAD_REQUEST', `unknown conf change type ${type}`);
  const node = buf.readUInt32BE(1);
  if (node === 0) throw new DepotError('BAD_REQUEST', 'conf change names node 0');
  return { type: type as ConfChangeType, node, address: buf.toString('utf8', 5) };
}

/** The configuration after `cc`. Never removes the last voter. */
export function applyConfChange(conf: ConfState, cc: ConfChange): ConfState {
  const voters = conf.voters.filter((id) => id !== cc.node);
  const learners = conf.learners.filter((id) => id !== cc.node);
  if (cc.type === ConfChangeType.AddVoter) voters.push(cc.node);
  else if (cc.type === ConfChangeType.AddLearner) learners.push(cc.node);
  if (voters.length === 0) return conf;
  return { voters: voters.sort((a, b) => a - b), learners: learners.sort((a, b) => a - b) };
}

export function describeConfChange(cc: ConfChange): string {
  const kind = ['add-voter', 'add-learner', 'remove'][cc.type]!;
  return `${kind} ${cc.node}${cc.address ? ` @${cc.address}` : ''}`;
}

export function describeConf(conf: ConfState): string {
  const learners = conf.learners.length > 0 ? ` learners=(${conf.learners.join(' ')})` : '';
  return `voters=(${conf.voters.join(' ')})${learners}`;
}
