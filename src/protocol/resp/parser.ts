// RESP request parser: multibulk arrays of bulk strings (what clients send) and inline
// commands (what telnet and `redis-cli` scripts may send).
//
//   *<argc>\r\n  then argc times  $<len>\r\n<len bytes>\r\n
//   or one line of space-separated words ending in \n (inline)
//
// Arguments come out as latin1 strings: latin1 maps each byte to one UTF-16 code unit, so
// they are binary safe, V8 keeps them as one-byte strings, and they serve directly as Map keys.
// The parser keeps its state across chunks and parses each chunk in place; a bulk string that
// spans many chunks is collected as a list of copied chunks and joined once, so a large value
// costs O(size), never O(size²), and a command cut by a chunk boundary copies only its own bytes.
// It keeps no reference to a chunk once `feed` returns: the server reads every socket into one
// shared buffer (server/resp/socket-reader.ts).
import { splitInlineArgs } from './inline.js';
import type { Scratch } from '../../util/scratch.js';
import { readLatin1 } from '../../util/latin1.js';

export interface ParserLimits {
  /** Largest bulk string accepted (Redis: proto-max-bulk-len, 512 MiB). */
  readonly maxBulkBytes: number;
  /** Largest argument count of one command (Redis 7.0: INT_MAX). */
  readonly maxArgs: number;
  /** Longest inline command line (Redis: 64 KiB). */
  readonly maxInlineBytes: number;
}

export const DEFAULT_PARSER_LIMITS: ParserLimits = {
  maxBulkBytes: 512 * 1024 * 1024,
  maxArgs: 2 ** 31 - 1,
  maxInlineBytes: 64 * 1024,
};

/** A protocol violation: the server replies `-ERR Protocol error: <message>` and closes. */
export class RespProtocolError extends Error {
  override readonly name = 'RespProtocolError';
}

const CR = 13;
const LF = 10;
const STAR = 42;
const DOLLAR = 36;

export class RequestParser {
  /** Unconsumed bytes: the incomplete tail of the previous chunks. */
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Arguments still expected for the command being read; 0 when between commands. */
  private argsLeft = 0;
  /** The command being read: sized from its header (see PRESIZED_ARGS), filled up to `argc`. */
  private argv: string[] = NO_ARGS;
  private argc = 0;
  /** Length of the bulk string being read, or -1 when its `$` header is next. */
  private bulkLen = -1;
  /** Chunks of a bulk string larger than what has arrived, joined once complete. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private lastName = '';
  /**
   * What the arguments read so far of the command being read hold: their bytes and
   * ARG_OVERHEAD each. Counted in bufferedBytes, so that the query-buffer limit bounds a
   * command of many arguments (the count alone may be up to INT_MAX, as in Redis).
   */
  private argvBytes = 0;

  constructor(private readonly limits: ParserLimits = DEFAULT_PARSER_LIMITS) {}

  /** Bytes held for an incomplete command (for the query-buffer limit and CLIENT LIST qbuf). */
  get bufferedBytes(): number {
    return this.buf.length - this.pos + this.pendingBytes + this.argvBytes;
  }

  /**
   * Parses `chunk` and pushes every complete command onto `out`. An empty inline line, `*0` or
   * a negative count is pushed as an empty list: no command, but Redis resets the client after
   * it as after one (it ends a CLIENT REPLY SKIP). Throws RespProtocolError on a violation; the
   * parser is then unusable (the connection is closed).
   */
  feed(chunk: Buffer, out: Scratch<string[]>): void {
    const rest = this.pendingBytes > 0 ? this.bridgeBulk(chunk, out) : this.pos < this.buf.length ? this.bridgeLine(chunk, out) : chunk;
    if (rest === null) return;
    this.buf = rest;
    this.pos = 0;
    this.parse(out);
    this.park();
  }

  /**
   * A bulk string is parked: completes it with just the bytes it lacks (not the whole chunk,
   * which would copy every byte of a pipelined read once more) and returns the rest of the
   * chunk; null when the chunk does not complete it.
   */
  private bridgeBulk(chunk: Buffer, out: Scratch<string[]>): Buffer | null {
    const need = this.bulkLen + 2 - this.pendingBytes;
    if (chunk.length < need) {
      this.pending.push(Buffer.from(chunk));
      this.pendingBytes += chunk.length;
      return null;
    }
    this.pending.push(chunk.subarray(0, need));
    this.buf = Buffer.concat(this.pending, this.bulkLen + 2);
    this.pending = [];
    this.pendingBytes = 0;
    this.pos = 0;
    this.parse(out);
    return chunk.subarray(need);
  }

  /**
   * The previous chunk ended inside a line (a header or an inline command): completes that
   * line with the chunk's bytes up to its first LF and returns the rest; null when the chunk
   * has no LF (the partial line grows, bounded by the line limits).
   */
  private bridgeLine(chunk: Buffer, out: Scratch<string[]>): Buffer | null {
    const nl = chunk.indexOf(LF);
    const head = nl < 0 ? chunk : chunk.subarray(0, nl + 1);
    this.buf = Buffer.concat([this.buf.subarray(this.pos), head]);
    this.pos = 0;
    this.parse(out);
    if (nl >= 0 && this.pos < this.buf.length) {
      // Bytes left before the LF: a header line ends at its CR and the byte after it, so a
      // malformed one may end before the LF or after it. The rest of the chunk goes with them.
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk.subarray(nl + 1)]);
      this.pos = 0;
      this.parse(out);
      this.park();
      return null;
    }
    if (nl < 0) {
      this.park();
      return null;
    }
    return chunk.subarray(nl + 1);
  }

  /** After parsing: drops what was consumed and copies what is left (the chunk will be reused). */
  private park(): void {
    if (this.pos >= this.buf.length) {
      this.buf = EMPTY;
      this.pos = 0;
      return;
    }
    const rest = Buffer.from(this.buf.subarray(this.pos));
    this.pos = 0;
    if (this.bulkLen >= 0 && rest.length < this.bulkLen + 2) {
      // Park the partial bulk string; further chunks are only collected until it is complete.
      this.pending = [rest];
      this.pendingBytes = rest.length;
      this.buf = EMPTY;
    } else {
      this.buf = rest;
    }
  }

  private parse(out: Scratch<string[]>): void {
    const buf = this.buf;
    const end = buf.length;
    for (;;) {
      if (this.argsLeft === 0) {
        if (this.pos >= end) return;
        if (buf[this.pos] !== STAR) {
          if (!this.parseInline(out)) return;
          continue;
        }
        const cr = findLineEnd(buf, this.pos, end);
        if (cr < 0) {
          if (cr === NO_CR) this.checkLineLength(end - this.pos, 'mbulk count string');
          return;
        }
        const n = readLineNumber(buf, this.pos + 1, cr);
        if (n === null || n > this.limits.maxArgs) throw new RespProtocolError('invalid multibulk length');
        this.pos = cr + 2;
        if (n <= 0) {
          out.push([]);
          continue;
        }
        this.argsLeft = n;
        this.argv = n <= PRESIZED_ARGS ? new Array<string>(n) : [];
        this.argc = 0;
      }
      while (this.argsLeft > 0) {
        if (this.bulkLen < 0) {
          if (this.pos >= end) return;
          const cr = findLineEnd(buf, this.pos, end);
          if (cr < 0) {
            if (cr === NO_CR) this.checkLineLength(end - this.pos, 'bulk count string');
            return;
          }
          // Checked once the line is whole, as Redis does: a connection closed before then gets no error.
          if (buf[this.pos] !== DOLLAR) {
            throw new RespProtocolError(`expected '$', got '${String.fromCharCode(buf[this.pos]!)}'`);
          }
          const len = readLineNumber(buf, this.pos + 1, cr);
          if (len === null || len < 0 || len > this.limits.maxBulkBytes) throw new RespProtocolError('invalid bulk length');
          this.bulkLen = len;
          this.pos = cr + 2;
        }
        if (end - this.pos < this.bulkLen + 2) return;
        const start = this.pos;
        this.argv[this.argc] = this.argc === 0 ? this.commandName(buf, start, this.bulkLen) : latin1(buf, start, this.bulkLen);
        this.argc++;
        this.argvBytes += this.bulkLen + ARG_OVERHEAD;
        this.pos = start + this.bulkLen + 2;
        this.bulkLen = -1;
        this.argsLeft--;
      }
      out.push(this.argv);
      this.argv = NO_ARGS;
      this.argvBytes = 0;
    }
  }

  /**
   * The command name: the previous command's string when the bytes are the same (pipelines
   * repeat one command), so that its hash is already computed when the command table looks it up.
   */
  private commandName(buf: Buffer, start: number, n: number): string {
    const last = this.lastName;
    if (last.length === n) {
      let i = 0;
      while (i < n && buf[start + i] === last.charCodeAt(i)) i++;
      if (i === n) return last;
    }
    const name = latin1(buf, start, n);
    if (n <= MAX_SHORT) this.lastName = name;
    return name;
  }

  /** Reads one inline command line; false when the line is incomplete. */
  private parseInline(out: Scratch<string[]>): boolean {
    const buf = this.buf;
    const nl = buf.indexOf(LF, this.pos);
    // As Redis: a line is too big only while its newline has not come (then it is bounded by
    // the limit plus one read).
    if (nl < 0) {
      if (buf.length - this.pos > this.limits.maxInlineBytes) throw new RespProtocolError('too big inline request');
      return false;
    }
    const lineEnd = nl > this.pos && buf[nl - 1] === CR ? nl - 1 : nl;
    const line = buf.toString('latin1', this.pos, lineEnd);
    this.pos = nl + 1;
    const argv = splitInlineArgs(line);
    if (argv === null) throw new RespProtocolError('unbalanced quotes in request');
    out.push(argv);
    return true;
  }

  private checkLineLength(bytes: number, what: string): void {
    if (bytes > this.limits.maxInlineBytes) throw new RespProtocolError(`too big ${what}`);
  }
}

const EMPTY = Buffer.alloc(0);
/** What `argv` holds between commands (nothing is stored in it). */
const NO_ARGS: string[] = [];
/**
 * Commands of up to this many arguments get an array of their size at once: one allocation of
 * what they need, where growing an empty array by push allocated room for 17 (152 bytes, the
 * largest allocation of a short command). Larger counts grow as they arrive: the header alone
 * may announce up to maxArgs.
 */
const PRESIZED_ARGS = 1024;
/** What V8 holds for a short string beside its bytes, with its slot in the arguments' array. */
const ARG_OVERHEAD = 40;
const fromCharCode = String.fromCharCode;
/** Longest argument decoded through fromCharCode (one case per length below). */
const MAX_SHORT = 24;

/**
 * The latin1 string of `n` bytes at `o`. Short ones (keys, small values, command names) are
 * built with fromCharCode: 24 ns for 20 bytes and 27 for 24, against 41-44 ns for toString's
 * native call (at 32 bytes the gap is down to 10 ns); spreading a subarray or applying an
 * array instead costs more than the native call.
 */
function latin1(b: Buffer, o: number, n: number): string {
  switch (n) {
    case 0: return '';
    case 1: return fromCharCode(b[o]!);
    case 2: return fromCharCode(b[o]!, b[o + 1]!);
    case 3: return fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!);
    case 4: return fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!);
    case 5: return fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!, b[o + 4]!);
    case 6: return fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!, b[o + 4]!, b[o + 5]!);
    case 7: return fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!, b[o + 4]!, b[o + 5]!, b[o + 6]!);
    case 8: return fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!, b[o + 4]!, b[o + 5]!, b[o + 6]!, b[o + 7]!);
    case 9: return fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!, b[o + 4]!, b[o + 5]!, b[o + 6]!, b[o + 7]!, b[o + 8]!);
    case 10: return fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!, b[o + 4]!, b[o + 5]!, b[o + 6]!, b[o + 7]!, b[o + 8]!, b[o + 9]!);
    case 11: return fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!, b[o + 4]!, b[o + 5]!, b[o + 6]!, b[o + 7]!, b[o + 8]!, b[o + 9]!, b[o + 10]!);
    case 12: return fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!, b[o + 4]!, b[o + 5]!, b[o + 6]!, b[o + 7]!, b[o + 8]!, b[o + 9]!, b[o + 10]!, b[o + 11]!);
    case 13: return fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!, b[o + 4]!, b[o + 5]!, b[o + 6]!, b[o + 7]!, b[o + 8]!, b[o + 9]!, b[o + 10]!, b[o + 11]!, b[o + 12]!);
    case 14: return fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!, b[o + 4]!, b[o + 5]!, b[o + 6]!, b[o + 7]!, b[o + 8]!, b[o + 9]!, b[o + 10]!, b[o + 11]!, b[o + 12]!, b[o + 13]!);
    case 15: return fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!, b[o + 4]!, b[o + 5]!, b[o + 6]!, b[o + 7]!, b[o + 8]!, b[o + 9]!, b[o + 10]!, b[o + 11]!, b[o + 12]!, b[o + 13]!, b[o + 14]!);
    case 16: return fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!, b[o + 4]!, b[o + 5]!, b[o + 6]!, b[o + 7]!, b[o + 8]!, b[o + 9]!, b[o + 10]!, b[o + 11]!, b[o + 12]!, b[o + 13]!, b[o + 14]!, b[o + 15]!);
    case 17: return fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!, b[o + 4]!, b[o + 5]!, b[o + 6]!, b[o + 7]!, b[o + 8]!, b[o + 9]!, b[o + 10]!, b[o + 11]!, b[o + 12]!, b[o + 13]!, b[o + 14]!, b[o + 15]!, b[o + 16]!);
    case 18: return fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!, b[o + 4]!, b[o + 5]!, b[o + 6]!, b[o + 7]!, b[o + 8]!, b[o + 9]!, b[o + 10]!, b[o + 11]!, b[o + 12]!, b[o + 13]!, b[o + 14]!, b[o + 15]!, b[o + 16]!, b[o + 17]!);
    case 19: return fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!, b[o + 4]!, b[o + 5]!, b[o + 6]!, b[o + 7]!, b[o + 8]!, b[o + 9]!, b[o + 10]!, b[o + 11]!, b[o + 12]!, b[o + 13]!, b[o + 14]!, b[o + 15]!, b[o + 16]!, b[o + 17]!, b[o + 18]!);
    case 20: return fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!, b[o + 4]!, b[o + 5]!, b[o + 6]!, b[o + 7]!, b[o + 8]!, b[o + 9]!, b[o + 10]!, b[o + 11]!, b[o + 12]!, b[o + 13]!, b[o + 14]!, b[o + 15]!, b[o + 16]!, b[o + 17]!, b[o + 18]!, b[o + 19]!);
    case 21: return fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!, b[o + 4]!, b[o + 5]!, b[o + 6]!, b[o + 7]!, b[o + 8]!, b[o + 9]!, b[o + 10]!, b[o + 11]!, b[o + 12]!, b[o + 13]!, b[o + 14]!, b[o + 15]!, b[o + 16]!, b[o + 17]!, b[o + 18]!, b[o + 19]!, b[o + 20]!);
    case 22: return fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!, b[o + 4]!, b[o + 5]!, b[o + 6]!, b[o + 7]!, b[o + 8]!, b[o + 9]!, b[o + 10]!, b[o + 11]!, b[o + 12]!, b[o + 13]!, b[o + 14]!, b[o + 15]!, b[o + 16]!, b[o + 17]!, b[o + 18]!, b[o + 19]!, b[o + 20]!, b[o + 21]!);
    case 23: return fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!, b[o + 4]!, b[o + 5]!, b[o + 6]!, b[o + 7]!, b[o + 8]!, b[o + 9]!, b[o + 10]!, b[o + 11]!, b[o + 12]!, b[o + 13]!, b[o + 14]!, b[o + 15]!, b[o + 16]!, b[o + 17]!, b[o + 18]!, b[o + 19]!, b[o + 20]!, b[o + 21]!, b[o + 22]!);
    case 24: return fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!, b[o + 4]!, b[o + 5]!, b[o + 6]!, b[o + 7]!, b[o + 8]!, b[o + 9]!, b[o + 10]!, b[o + 11]!, b[o + 12]!, b[o + 13]!, b[o + 14]!, b[o + 15]!, b[o + 16]!, b[o + 17]!, b[o + 18]!, b[o + 19]!, b[o + 20]!, b[o + 21]!, b[o + 22]!, b[o + 23]!);
    default: return readLatin1(b, o, o + n);
  }
}

/** Header lines scanned in JS before handing over to indexOf's native call. */
const SHORT_LINE = 24;
/** findLineEnd: no CR yet. */
const NO_CR = -1;
/** findLineEnd: the CR is the last byte; the one after it has not come. */
const CR_LAST = -2;

/**
 * The index of the CR ending the header line at `from` (before `end`), as Redis finds it: the
 * first CR, with one more byte after it, which is skipped unread (it should be the LF). NO_CR
 * or CR_LAST when the line is not complete. Header lines (`*3`, `$5`) are a few bytes long,
 * and scanning them here costs less than Buffer.indexOf's call into C++ (two per argument).
 */
function findLineEnd(buf: Buffer, from: number, end: number): number {
  const stop = Math.min(end, from + SHORT_LINE);
  let cr = -1;
  for (let i = from; i < stop; i++) {
    if (buf[i] === CR) {
      cr = i;
      break;
    }
  }
  if (cr < 0 && stop < end) cr = buf.indexOf(CR, stop);
  if (cr < 0 || cr >= end) return NO_CR;
  return cr + 1 < end ? cr : CR_LAST;
}

/**
 * Parses the decimal between a type byte and its line's CR as Redis's string2ll does: an
 * optional '-', no leading zeros, no "-0", no '+' or spaces, within int64. Null when malformed.
 */
function readLineNumber(buf: Buffer, start: number, cr: number): number | null {
  let i = start;
  let negative = false;
  if (buf[i] === 45) {
    negative = true;
    i++;
  }
  const digits = cr - i;
  if (digits <= 0 || digits > 19) return null;
  if (buf[i] === 48) return digits === 1 && !negative ? 0 : null;
  let n = 0;
  for (; i < cr; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  // Nineteen digits may pass int64, where string2ll fails. (Within it, `n` is only compared
  // with the limits and zero, which a rounded double does as well.)
  if (digits === 19) {
    const exact = BigInt(buf.toString('latin1', start, cr));
    if (exact !== BigInt.asIntN(64, exact)) return null;
  }
  return negative ? -n : n;
}
