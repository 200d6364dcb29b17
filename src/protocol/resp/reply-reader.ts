// RESP reply decoder: one reply (RESP2 or RESP3) from a buffer into a tagged value that keeps
// the reply's type and bytes. The cache's scripts read the replies of the commands they call
// through it; the tests' raw client compares replies with it.

export type Reply =
  | { t: 'simple'; v: string }
  | { t: 'error'; v: string }
  | { t: 'int'; v: string }
  | { t: 'bulk'; v: string }
  | { t: 'null' }
  | { t: 'array'; v: Reply[] }
  | { t: 'map'; v: Reply[] }
  | { t: 'set'; v: Reply[] }
  | { t: 'push'; v: Reply[] }
  | { t: 'double'; v: string }
  | { t: 'bool'; v: boolean }
  | { t: 'verbatim'; v: string };

/** Thrown when the buffer ends inside the reply: more bytes are needed. */
export class Incomplete extends Error {}

/** Parses one reply at `pos`; throws Incomplete when more bytes are needed. */
export function parseReply(buf: Buffer, pos: number): { reply: Reply; next: number } {
  const nl = buf.indexOf('\r\n', pos);
  if (nl < 0) throw new Incomplete();
  const type = String.fromCharCode(buf[pos]!);
  const line = buf.toString('latin1', pos + 1, nl);
  const after = nl + 2;
  const blob = (len: number): { text: string; next: number } => {
    if (buf.length < after + len + 2) throw new Incomplete();
    return { text: buf.toString('latin1', after, after + len), next: after + len + 2 };
  };
  const aggregate = (t: 'array' | 'map' | 'set' | 'push', n: number): { reply: Reply; next: number } => {
    const items: Reply[] = [];
    let p = after;
    for (let i = 0; i < n; i++) {
      const r = parseReply(buf, p);
      items.push(r.reply);
      p = r.next;
    }
    return { reply: { t, v: items }, next: p };
  };
  switch (type) {
    case '+': return { reply: { t: 'simple', v: line }, next: after };
    case '-': return { reply: { t: 'error', v: line }, next: after };
    case ':': return { reply: { t: 'int', v: line }, next: after };
    case ',': return { reply: { t: 'double', v: line }, next: after };
    case '#': return { reply: { t: 'bool', v: line === 't' }, next: after };
    case '_': return { reply: { t: 'null' }, next: after };
    case '$': {
      const n = Number(line);
      if (n < 0) return { reply: { t: 'null' }, next: after };
      const b = blob(n);
      return { reply: { t: 'bulk', v: b.text }, next: b.next };
    }
    case '=': {
      const b = blob(Number(line));
      return { reply: { t: 'verbatim', v: b.text.slice(4) }, next: b.next };
    }
    case '*': {
      const n = Number(line);
      return n < 0 ? { reply: { t: 'null' }, next: after } : aggregate('array', n);
    }
    case '%': return aggregate('map', Number(line) * 2);
    case '~': return aggregate('set', Number(line));
    case '>': return aggregate('push', Number(line));
    default: throw new Error(`unexpected RESP type byte '${type}'`);
  }
}
