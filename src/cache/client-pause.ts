// CLIENT PAUSE and CLIENT UNPAUSE: for a while, the commands a pause holds wait unrun, with
// the ones their client sent after them, until it ends (by its timer or by UNPAUSE). A held
// client is marked blocked, so that its connection stops reading, as Redis's paused clients are.
import { MAX_TIMER_MS, type Clock } from '../util/clock.js';
import type { Client } from './client.js';
import type { CommandTable } from './commands/table.js';

export type PauseMode = 'write' | 'all';

/** Commands a WRITE pause holds besides writes: Redis's "may replicate" ones. */
const MAY_REPLICATE = new Set(['eval', 'evalsha', 'fcall', 'publish', 'spublish', 'pfcount', 'wait', 'script|load', 'script|flush']);

export interface PauseHooks {
  /** A pause began or ended (expiry and eviction stop while clients are paused). */
  changed(): void;
  /** The pause ended: `client`, held by it, goes on with the commands it sent. */
  resume(client: Client): void;
}

export class ClientPause {
  /** The pause in force: which commands wait (writes, or all) and until when (clock ms). */
  private state: { mode: PauseMode; until: number; timer: NodeJS.Timeout } | null = null;
  /** Clients whose next command waits for the pause to end. */
  private readonly held = new Set<Client>();

  constructor(
    private readonly commands: CommandTable,
    private readonly clock: Clock,
    private readonly hooks: PauseHooks,
  ) {}

  get active(): boolean {
    return this.state !== null;
  }

  /** From now for `ms`, or until `end`: a longer pause in force is kept, its mode replaced, as in Redis. */
  start(mode: PauseMode, ms: number): void {
    const now = this.clock.now();
    const until = Math.max(now + ms, this.state?.until ?? 0);
    if (this.state !== null) clearTimeout(this.state.timer);
    const timer = setTimeout(() => this.end(), Math.min(until - now, MAX_TIMER_MS));
    timer.unref();
    this.state = { mode, until, timer };
    this.hooks.changed();
  }

  /** Ends the pause: the held clients go on. */
  end(): void {
    if (this.state === null) return;
    clearTimeout(this.state.timer);
    this.state = null;
    this.hooks.changed();
    for (const client of this.held) {
      client.blocked = null;
      this.hooks.resume(client);
    }
    this.held.clear();
  }

  /**
   * Whether the pause in force holds this command: every command under ALL; under WRITE,
   * Redis's "may replicate" ones (writes, scripts, PUBLISH, PFCOUNT, WAIT) and an EXEC with a
   * write queued.
   */
  holds(client: Client, argv: readonly string[]): boolean {
    if (this.state === null) return false;
    if (this.state.mode === 'all') return true;
    const s = this.commands.specOf(argv);
    if (s === undefined) return false;
    if (s.name === 'exec') return client.multi?.some((queued) => this.holds(client, queued)) ?? false;
    return s.flags.includes('write') || MAY_REPLICATE.has(s.name);
  }

  /** Holds `client` until the pause ends. */
  hold(client: Client): void {
    client.blocked = { keys: [], db: client.db, argv: [], deadline: 0, timer: null };
    this.held.add(client);
  }
}
