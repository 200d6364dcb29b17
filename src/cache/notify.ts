// Keyspace notifications (notify-keyspace-events): which event classes are published, and the
// channel names: __keyspace@<db>__:<key> carries the event name, __keyevent@<db>__:<event>
// carries the key.
import type { NotifyClass } from './commands/context.js';

const ALL_CLASSES = 'g$lshzxetd';
const VALID = new Set([...'KEg$lshzxetdmnA']);

export class KeyspaceEvents {
  private classes = new Set<string>();
  keyspace = false;
  keyevent = false;

  /** True when nothing would be published: the hot path checks this first. */
  get off(): boolean {
    return this.classes.size === 0 || (!this.keyspace && !this.keyevent);
  }

  /** Parses a flag string; returns an error text when it holds an unknown class. */
  configure(flags: string): string | null {
    const error = checkKeyspaceEventFlags(flags);
    if (error !== null) return error;
    const classes = new Set<string>();
    for (const ch of flags) {
      if (ch === 'A') for (const a of ALL_CLASSES) classes.add(a);
      else if (ch !== 'K' && ch !== 'E') classes.add(ch);
    }
    this.classes = classes;
    this.keyspace = flags.includes('K');
    this.keyevent = flags.includes('E');
    return null;
  }

  /**
   * The canonical form CONFIG GET returns, as Redis 7.0 prints it: 'n' among the classes, so
   * not printed when 'A' stands for them (Redis drops it there, though it stays on).
   */
  text(): string {
    let s = '';
    if ([...ALL_CLASSES].every((c) => this.classes.has(c))) s += 'A';
    else for (const c of `${ALL_CLASSES}n`) if (this.classes.has(c)) s += c;
    if (this.keyspace) s += 'K';
    if (this.keyevent) s += 'E';
    if (this.classes.has('m')) s += 'm';
    return s;
  }

  wants(cls: NotifyClass): boolean {
    return this.classes.has(cls);
  }
}

/** An error text when a notify-keyspace-events flag string holds an unknown class, else null. */
export function checkKeyspaceEventFlags(flags: string): string | null {
  for (const ch of flags) if (!VALID.has(ch)) return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
  return null;
}

export function keyspaceChannel(db: number, key: string): string {
  return `__keyspace@${db}__:${key}`;
}

export function keyeventChannel(db: number, event: string): string {
  return `__keyevent@${db}__:${event}`;
}
