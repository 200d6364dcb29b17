// Proposes the effects of the commands executed in one event-loop turn as one log entry, and
// tracks what has committed. Batches are numbered (seq) in proposal order; a reply produced
// while batch N is open, or after it was proposed, is released once batch N has committed.
// Entries commit in log order, so "committed through seq N" is a single number. Without a
// recorded log (`appendonly no`: see Effects) nothing is proposed and every reply is released
// at once.
import type { Group } from '../raft/group.js';
import { assert } from '../util/assert.js';
import { EffectPacker } from './machine/effect-packing.js';
import { EffectEncoder } from './machine/effects.js';
import type { CacheMachine } from './machine/machine.js';

/** A batch larger than this is proposed at once instead of at the end of the turn. */
const MAX_BATCH_BYTES = 1024 * 1024;

export class Committer {
  /** Null when effects are not recorded. */
  readonly enc: EffectEncoder | null;
  /** Null when payloads are stored as built. */
  private readonly packer: EffectPacker | null;
  /** Last batch proposed. */
  private proposedSeq = 0;
  /** Last batch known committed (applied on this node). */
  committedSeq = 0;
  /** Log index of each batch in flight, for INFO and diagnostics. */
  lastIndex = 0;
  inFlight = 0;
  /** Bumped by `abandon`: outcomes of batches proposed before it are ignored. */
  private epoch = 0;

  constructor(
    private readonly group: Group<void>,
    private readonly machine: CacheMachine,
    private readonly onCommitted: (seq: number) => void,
    private readonly onFailed: (err: unknown) => void,
    recorded: boolean,
    compressed: boolean,
  ) {
    this.enc = recorded ? new EffectEncoder() : null;
    this.packer = recorded && compressed ? new EffectPacker() : null;
  }

  /** The batch a reply produced now depends on. */
  gate(): number {
    return this.hasPending ? this.proposedSeq + 1 : this.proposedSeq;
  }

  get hasPending(): boolean {
    return this.enc !== null && this.enc.count > 0;
  }

  /** Called after a command; proposes early when the batch has grown large. */
  afterCommand(): void {
    if (this.enc !== null && this.enc.bytes >= MAX_BATCH_BYTES) this.flush();
  }

  /** Proposes the open batch, if any. */
  flush(): void {
    const built = this.enc?.take() ?? null;
    if (built === null) return;
    const payload = this.packer === null ? built : this.packer.pack(built);
    const seq = ++this.proposedSeq;
    let proposal;
    try {
      proposal = this.machine.proposeApplied(payload, (p) => this.group.propose(p));
    } catch (err) {
      this.onFailed(err);
      return;
    }
    this.lastIndex = proposal.index;
    this.inFlight++;
    const epoch = this.epoch;
    proposal.applied.then(
      () => {
        this.inFlight--;
        if (epoch !== this.epoch) return;
        assert(seq === this.committedSeq + 1, 'batch %s committed out of order', seq);
        this.committedSeq = seq;
        this.onCommitted(seq);
      },
      (err: unknown) => {
        this.inFlight--;
        if (epoch === this.epoch) this.onFailed(err);
      },
    );
  }

  /**
   * After a failed batch, whose clients the service disconnects: every batch proposed so far
   * counts as settled, so that later replies, which are gated on the last batch proposed before
   * them, do not wait for one that will never commit. The open batch is dropped with them.
   */
  abandon(): void {
    this.enc?.take();
    this.epoch++;
    this.committedSeq = this.proposedSeq;
  }
}
