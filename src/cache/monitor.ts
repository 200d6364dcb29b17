// MONITOR's feed (Redis replicationFeedMonitors): one status line per command run, to every
// client in monitor mode, in Redis's shape so that tools that parse it (redis-cli monitor,
// ioredis's monitor()) read Depot's:
//   +1700000000.123456 [0 127.0.0.1:50000] "set" "key" "va\"lue"
// Admin commands (CONFIG, ACL, MONITOR, ...) are not shown, as in Redis; AUTH's and HELLO's
// secrets arrive already redacted (Ctx.redact). A blocking command is shown when it is first
// run, not again when it is served.
import type { Client } from './client.js';

/** Sends a status line to a client in the middle of a command (the service's deliver). */
export type SendLine = (client: Client, line: string) => void;

/** The clients in monitor mode. */
export class Monitors {
  private clients: Client[] = [];

  constructor(private readonly send: SendLine) {}

  get count(): number {
    return this.clients.length;
  }

  /** MONITOR; false when the client already is a monitor (Redis then replies nothing). */
  add(client: Client): boolean {
    if (client.monitor) return false;
    client.monitor = true;
    this.clients.push(client);
    return true;
  }

  /** RESET, or the connection closed. */
  remove(client: Client): void {
    if (!client.monitor) return;
    client.monitor = false;
    this.clients = this.clients.filter((c) => c !== client);
  }

  /**
   * Shows a command to every monitor (the client that ran it too, if it is one): run by `client`
   * in database `db` ending at `unixMicros`; `fromScript`: called by its script, shown as `lua`.
   */
  feed(client: Client, db: number, argv: readonly string[], unixMicros: number, fromScript = false): void {
    const line = monitorLine(unixMicros, db, fromScript ? 'lua' : client.sink.remoteAddress, argv);
    for (const m of this.clients) this.send(m, line);
  }
}

/** A line for a command that `addr` ran in database `db` at `unixMicros`, without the '+' and CRLF. */
export function monitorLine(unixMicros: number, db: number, addr: string, argv: readonly string[]): string {
  const seconds = Math.floor(unixMicros / 1_000_000);
  const micros = String(Math.floor(unixMicros - seconds * 1_000_000)).padStart(6, '0');
  let line = `${seconds}.${micros} [${db} ${addr}]`;
  for (const a of argv) line += ' ' + quoted(a);
  return line;
}

/**
 * An argument quoted as Redis's sdscatrepr quotes it: printable ASCII as is, quotes and
 * backslashes escaped, control characters as \n \r \t \a \b or \xHH. Arguments are latin1
 * (one byte a character), so every byte is written as the byte it is.
 */
export function quoted(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) out += '\\' + s[i];
    else if (c >= 0x20 && c <= 0x7e) out += s[i];
    else out += ESCAPES[c] ?? '\\x' + c.toString(16).padStart(2, '0');
  }
  return out + '"';
}

const ESCAPES: Readonly<Record<number, string>> = { 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x07: '\\a', 0x08: '\\b' };
