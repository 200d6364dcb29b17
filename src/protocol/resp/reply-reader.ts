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

/** Bytes up to this many are decoded by a JS loop, which beats a native call for short ones. */
const SHORT = 32;

function latin1(buf: Buffer, from: number, to: number): string {
  if (to - from > SHORT) return buf.toString('latin1', from, to);
  let s = '';
  for (let i = from; i < to; i++) s += String.fromCharCode(buf[i]!);
  return s;
}

/** The offset of the CR ending the line that starts at `from`; throws Incomplete when it is not there yet. */
function lineEnd(buf: Buffer, from: number): number {
  let i = from;
  while (i < buf.length && buf[i] !== 13) i++;
  if (i + 1 >= buf.length) throw new Incomplete();
  return i;
}

/** Parses one reply at `pos`; throws Incomplete when more bytes are needed. */
export function parseReply(buf: Buffer, pos: number): { reply: Reply; next: number } {
  if (pos >= buf.length) throw new Incomplete();
  const type = buf[pos]!;
  const cr = lineEnd(buf, pos + 1);
  const line = latin1(buf, pos + 1, cr);
  const after = cr + 2;
  switch (type) {
    case 43: // +
      return { reply: { t: 'simple', v: line }, next: after };
    case 45: // -
      return { reply: { t: 'error', v: line }, next: after };
    case 58: // :
      return { reply: { t: 'int', v: line }, next: after };
    case 44: // ,
      return { reply: { t: 'double', v: line }, next: after };
    case 35: // #
      return { reply: { t: 'bool', v: line === 't' }, next: after };
    case 95: // _
      return { reply: { t: 'null' }, next: after };
    case 36: // $
    case 61: { // =
      const n = Number(line);
      if (n < 0) return { reply: { t: 'null' }, next: after };
      if (buf.length < after + n + 2) throw new Incomplete();
      const text = latin1(buf, after, after + n);
      return { reply: type === 36 ? { t: 'bulk', v: text } : { t: 'verbatim', v: text.slice(4) }, next: after + n + 2 };
    }
    case 42: { // *
      const n = Number(line);
      return n < 0 ? { reply: { t: 'null' }, next: after } : aggregate(buf, after, 'array', n);
    }
    case 37: // %
      return aggregate(buf, after, 'map', Number(line) * 2);
    case 126: // ~
      return aggregate(buf, after, 'set', Number(line));
    case 62: // >
      return aggregate(buf, after, 'push', Number(line));
    default:
      throw new Error(`unexpected RESP type byte '${String.fromCharCode(type)}'`);
  }
}

function aggregate(buf: Buffer, from: number, t: 'array' | 'map' | 'set' | 'push', n: number): { reply: Reply; next: number } {
  const items: Reply[] = [];
  let p = from;
  for (let i = 0; i < n; i++) {
    const r = parseReply(buf, p);
    items.push(r.reply);
    p = r.next;
  }
  return { reply: { t, v: items }, next: p };
}
