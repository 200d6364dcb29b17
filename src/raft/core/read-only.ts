// Linearizable reads without a log write (thesis §6.4). A read request is tagged with the
// sequence number of the next heartbeat broadcast; once a quorum has acknowledged a heartbeat
// at least that recent, the leader was still leader after the request arrived, and the read may
// run as soon as the commit index at that moment is applied. With a lease, the leader skips the
// round trip while a quorum acknowledged a heartbeat less than `leaseTicks` ago.
import type { NodeId } from './types.js';

export interface PendingRead {
  id: number;
  /** The node that asked (the leader itself, or a follower that forwarded the request). */
  from: NodeId;
  /** Heartbeat sequence number that must be acknowledged by a quorum. */
  seq: number;
}

/** Bounded: a leader refuses reads beyond this many pending (the caller retries). */
export const MAX_PENDING_READS = 65536;
/** Heartbeat send times remembered for the lease; older acknowledgements extend nothing. */
const MAX_SENT_HEARTBEATS = 1024;

export class ReadOnly {
  private pending: PendingRead[] = [];
  /** (seq, tick) of recent heartbeat broadcasts, oldest first. */
  private sent: { seq: number; tick: number }[] = [];
  /** Tick before which lease reads are safe. */
  leaseUntil = 0;

  get size(): number {
    return this.pending.length;
  }

  add(read: PendingRead): boolean {
    if (this.pending.length >= MAX_PENDING_READS) return false;
    this.pending.push(read);
    return true;
  }

  recordBroadcast(seq: number, tick: number): void {
    this.sent.push({ seq, tick });
    if (this.sent.length > MAX_SENT_HEARTBEATS) this.sent.shift();
  }

  /**
   * A quorum acknowledged heartbeats up to `seq`: extends the lease from that broadcast's send
   * tick and returns the reads it confirms, in order.
   */
  confirm(seq: number, leaseTicks: number): PendingRead[] {
    let sentTick: number | undefined;
    while (this.sent.length > 0 && this.sent[0]!.seq <= seq) sentTick = this.sent.shift()!.tick;
    if (sentTick !== undefined && leaseTicks > 0) this.leaseUntil = Math.max(this.leaseUntil, sentTick + leaseTicks);
    let n = 0;
    while (n < this.pending.length && this.pending[n]!.seq <= seq) n++;
    return n === 0 ? [] : this.pending.splice(0, n);
  }

  /** Takes every pending read (lease reads, or a quorum of one). */
  takeAll(): PendingRead[] {
    const all = this.pending;
    this.pending = [];
    return all;
  }

  /** Drops everything: leadership was lost, the requests must be retried elsewhere. */
  reset(): PendingRead[] {
    this.sent = [];
    this.leaseUntil = 0;
    return this.takeAll();
  }
}
