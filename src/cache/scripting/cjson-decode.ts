// cjson.decode as Redis's lua-cjson 2.1 reads JSON, pushed straight onto the Lua stack.
//
// lua-cjson is a byte scanner over a C string, looser than JSON.parse and with its own errors,
// and scripts see both: a string's bytes pass through untouched (invalid UTF-8, raw control
// characters), a NUL ends the text, numbers are whatever glibc's strtod takes where a number may
// start ("+1", "01", "1.", "0x10", "inf", "nan"), and a syntax error reads "Expected <what> but
// found <token> at character <n>".
import { LibraryError, lua51Number, pushLua51Number, type LuaVm } from './lua-vm.js';

/** lua-cjson's decode_max_depth. */
const MAX_DEPTH = 1000;

type TokenType =
  | 'T_OBJ_BEGIN'
  | 'T_OBJ_END'
  | 'T_ARR_BEGIN'
  | 'T_ARR_END'
  | 'T_STRING'
  | 'T_NUMBER'
  | 'T_BOOLEAN'
  | 'T_NULL'
  | 'T_COLON'
  | 'T_COMMA'
  | 'T_END'
  | 'T_ERROR';

interface Token {
  type: TokenType;
  /** Where the token (or, for T_ERROR, the fault) starts: 0-based, errors print it 1-based. */
  index: number;
  /** T_STRING's bytes, or T_ERROR's description. */
  text: string;
  number: number;
  boolean: boolean;
}

const SINGLE: Partial<Record<number, TokenType>> = {
  0x7b: 'T_OBJ_BEGIN',
  0x7d: 'T_OBJ_END',
  0x5b: 'T_ARR_BEGIN',
  0x5d: 'T_ARR_END',
  0x2c: 'T_COMMA',
  0x3a: 'T_COLON',
};

/** One-character escapes: the character after the backslash, and what it stands for. */
const ESCAPES: Partial<Record<number, string>> = { 0x22: '"', 0x5c: '\\', 0x2f: '/', 0x62: '\b', 0x74: '\t', 0x6e: '\n', 0x66: '\f', 0x72: '\r' };

// The longest prefix glibc's strtod converts, in the order it tries the forms.
const SPECIAL_PREFIX = /[+-]?(?:infinity|inf|nan(?:\([0-9a-z_]*\))?)/iy;
const HEX_PREFIX = /[+-]?0x(?:[0-9a-f]+(?:\.[0-9a-f]*)?|\.[0-9a-f]+)(?:p[+-]?[0-9]+)?/iy;
const DECIMAL_PREFIX = /[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e[+-]?[0-9]+)?/iy;

function strtodPrefix(s: string, at: number): string | null {
  for (const re of [SPECIAL_PREFIX, HEX_PREFIX, DECIMAL_PREFIX]) {
    re.lastIndex = at;
    const m = re.exec(s);
    if (m !== null) return m[0];
  }
  return null;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

class Decoder {
  private pos = 0;
  private depth = 0;

  constructor(
    private readonly vm: LuaVm,
    /** The text's bytes, one per character. */
    private readonly s: string,
  ) {}

  /** The byte at `i`, 0 past the end: the C string's terminator. */
  private at(i: number): number {
    return i < this.s.length ? this.s.charCodeAt(i) : 0;
  }

  decode(): void {
    const first = this.next();
    this.value(first);
    const last = this.next();
    if (last.type !== 'T_END') throw parseError('the end', last);
  }

  private token(type: TokenType, index: number): Token {
    return { type, index, text: '', number: 0, boolean: false };
  }

  private error(description: string, index: number): Token {
    const t = this.token('T_ERROR', index);
    t.text = description;
    return t;
  }

  private next(): Token {
    let c = this.at(this.pos);
    while (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) c = this.at(++this.pos);
    const index = this.pos;
    if (c === 0) return this.token('T_END', index);
    const single = SINGLE[c];
    if (single !== undefined) {
      this.pos++;
      return this.token(single, index);
    }
    if (c === 0x22) return this.string();
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    for (const [word, value] of [['true', true], ['false', false]] as const) {
      if (this.s.startsWith(word, index)) {
        this.pos += word.length;
        const t = this.token('T_BOOLEAN', index);
        t.boolean = value;
        return t;
      }
    }
    if (this.s.startsWith('null', index)) {
      this.pos += 4;
      return this.token('T_NULL', index);
    }
    // What JSON refuses but strtod reads: a leading '+', inf and nan in any case.
    if (c === 0x2b || /^(?:inf|nan)/i.test(this.s.slice(index, index + 3))) return this.number();
    return this.error('invalid token', index);
  }

  private number(): Token {
    const index = this.pos;
    const text = strtodPrefix(this.s, index);
    if (text === null) return this.error('invalid number', index);
    this.pos += text.length;
    const t = this.token('T_NUMBER', index);
    t.number = lua51Number(text)!;
    return t;
  }

  private string(): Token {
    const index = this.pos++;
    let out = '';
    let run = this.pos;
    for (;;) {
      const c = this.at(this.pos);
      if (c === 0x22) break;
      if (c === 0) return this.error('unexpected end of string', this.pos);
      if (c !== 0x5c) {
        this.pos++;
        continue;
      }
      out += this.s.slice(run, this.pos);
      const e = this.at(this.pos + 1);
      const simple = ESCAPES[e];
      if (simple !== undefined) {
        out += simple;
        this.pos += 2;
      } else if (e === 0x75) {
        const bytes = this.unicodeEscape();
        if (bytes === null) return this.error('invalid unicode escape code', this.pos);
        out += bytes;
      } else {
        return this.error('invalid escape code', this.pos);
      }
      run = this.pos;
    }
    out += this.s.slice(run, this.pos);
    this.pos++;
    const t = this.token('T_STRING', index);
    t.text = out;
    return t;
  }

  private hex4(at: number): number {
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const d = hexDigit(this.at(at + i));
      if (d < 0) return -1;
      v = (v << 4) | d;
    }
    return v;
  }

  /** \uXXXX (a surrogate pair takes two) at `pos` as UTF-8 bytes, advancing past it; null when malformed. */
  private unicodeEscape(): string | null {
    let cp = this.hex4(this.pos + 2);
    if (cp < 0) return null;
    let length = 6;
    if ((cp & 0xf800) === 0xd800) {
      // A high surrogate, then an escaped low one.
      if ((cp & 0x400) !== 0 || this.at(this.pos + 6) !== 0x5c || this.at(this.pos + 7) !== 0x75) return null;
      const low = this.hex4(this.pos + 8);
      if (low < 0 || (low & 0xfc00) !== 0xdc00) return null;
      cp = (((cp & 0x3ff) << 10) | (low & 0x3ff)) + 0x10000;
      length = 12;
    }
    this.pos += length;
    return Buffer.from(String.fromCodePoint(cp), 'utf8').toString('latin1');
  }

  private value(t: Token): void {
    switch (t.type) {
      case 'T_STRING':
        return this.vm.pushString(t.text);
      case 'T_NUMBER':
        return pushLua51Number(this.vm, t.number);
      case 'T_BOOLEAN':
        return this.vm.pushBoolean(t.boolean);
      case 'T_NULL':
        return this.vm.pushNull();
      case 'T_OBJ_BEGIN':
        return this.object();
      case 'T_ARR_BEGIN':
        return this.array();
      default:
        throw parseError('value', t);
    }
  }

  /** One level deeper, with room for `slots` more values on the stack. */
  private descend(slots: number): void {
    this.depth++;
    if (this.depth > MAX_DEPTH || !this.vm.checkStack(slots)) {
      throw new LibraryError(`Found too many nested data structures (${this.depth}) at character ${this.pos}`);
    }
  }

  private object(): void {
    this.descend(3);
    this.vm.newTable();
    let t = this.next();
    if (t.type !== 'T_OBJ_END') {
      for (;;) {
        if (t.type !== 'T_STRING') throw parseError('object key string', t);
        this.vm.pushString(t.text);
        t = this.next();
        if (t.type !== 'T_COLON') throw parseError('colon', t);
        this.value(this.next());
        this.vm.rawSet(-3);
        t = this.next();
        if (t.type === 'T_OBJ_END') break;
        if (t.type !== 'T_COMMA') throw parseError('comma or object end', t);
        t = this.next();
      }
    }
    this.depth--;
  }

  private array(): void {
    this.descend(2);
    this.vm.newTable();
    let t = this.next();
    if (t.type !== 'T_ARR_END') {
      for (let i = 1; ; i++) {
        this.value(t);
        this.vm.rawSetIndex(-2, i);
        t = this.next();
        if (t.type === 'T_ARR_END') break;
        if (t.type !== 'T_COMMA') throw parseError('comma or array end', t);
        t = this.next();
      }
    }
    this.depth--;
  }
}

function parseError(expected: string, t: Token): LibraryError {
  const found = t.type === 'T_ERROR' ? t.text : t.type;
  return new LibraryError(`Expected ${expected} but found ${found} at character ${t.index + 1}`);
}

/** Decodes `text` (bytes, one per character) and pushes the value; throws lua-cjson's errors. */
export function decodeJson(vm: LuaVm, text: string): void {
  // Only the first character of JSON is sure to be ASCII; a NUL in the first two means UTF-16 or -32.
  if (text.length >= 2 && (text.charCodeAt(0) === 0 || text.charCodeAt(1) === 0)) {
    throw new LibraryError('JSON parser does not support UTF-16 or UTF-32');
  }
  new Decoder(vm, text).decode();
}
