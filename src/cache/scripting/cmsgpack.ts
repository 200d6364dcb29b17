// The `cmsgpack` library Redis gives scripts (lua-cmsgpack 0.4.0): pack, unpack, unpack_one and
// unpack_limit, with its encodings byte for byte, since scripts store and compare what it packs
// (BullMQ's scripts unpack every job's options with it). Its rules where scripts can see them:
// - a number that is an integer is packed in the fewest bytes (fixint, int8-64, uint8-64);
//   another one as a float32 when that keeps it exactly, else a float64. Redis's Lua 5.1 has only
//   doubles, so an integral float (5.0 in Lua 5.4) is an integer here too;
// - a table is an array when its keys are exactly 1..n (an empty table too), otherwise a map;
//   tables nested 16 deep are packed as nil (a table may contain itself);
// - strings are str (fixstr, str8, str16, str32); what it does not know (functions, userdata)
//   is nil;
// - unpack reads nil, booleans, integers, floats, str and arrays and maps, and refuses the rest
//   (bin, ext) with "Bad data format in input."; input cut short is "Missing bytes in input.".
import { LibraryError, LuaType, MAX_C_STACK, argError, integerArg, positiveIntegerKeys, pushLibrary, stringArg, type LuaVm } from './lua-vm.js';

/** Tables nested this deep are packed as nil (LUACMSGPACK_MAX_NESTING). */
const MAX_NESTING = 16;

/** Bytes being packed, grown as needed. */
class Packer {
  private buf = Buffer.allocUnsafe(64);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(bigger, 0, 0, this.length);
    this.buf = bigger;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.length++] = b;
  }

  /** A type byte and `n` as a big-endian unsigned integer of `bytes` bytes. */
  head(type: number, n: number, bytes: 1 | 2 | 4): void {
    this.room(1 + bytes);
    this.buf[this.length] = type;
    this.buf.writeUIntBE(n, this.length + 1, bytes);
    this.length += 1 + bytes;
  }

  int(n: bigint): void {
    if (n >= 0n) {
      if (n <= 127n) this.byte(Number(n));
      else if (n <= 0xffn) this.head(0xcc, Number(n), 1);
      else if (n <= 0xffffn) this.head(0xcd, Number(n), 2);
      else if (n <= 0xffffffffn) this.head(0xce, Number(n), 4);
      else this.big(0xcf, n);
    } else if (n >= -32n) this.byte(Number(n) & 0xff);
    else if (n >= -128n) this.head(0xd0, Number(n) & 0xff, 1);
    else if (n >= -32768n) this.head(0xd1, Number(n) & 0xffff, 2);
    else if (n >= -2147483648n) this.head(0xd2, Number(n) >>> 0, 4);
    else this.big(0xd3, n);
  }

  private big(type: number, n: bigint): void {
    this.room(9);
    this.buf[this.length] = type;
    this.buf.writeBigUInt64BE(BigInt.asUintN(64, n), this.length + 1);
    this.length += 9;
  }

  double(d: number): void {
    this.room(9);
    if (Math.fround(d) === d) {
      this.buf[this.length] = 0xca;
      this.buf.writeFloatBE(d, this.length + 1);
      this.length += 5;
    } else {
      this.buf[this.length] = 0xcb;
      this.buf.writeDoubleBE(d, this.length + 1);
      this.length += 9;
    }
  }

  bytes(s: string): void {
    const n = s.length;
    if (n < 32) this.byte(0xa0 | n);
    else if (n <= 0xff) this.head(0xd9, n, 1);
    else if (n <= 0xffff) this.head(0xda, n, 2);
    else this.head(0xdb, n, 4);
    this.room(n);
    this.buf.write(s, this.length, 'latin1');
    this.length += n;
  }

  /** A fixarray/fixmap type byte (`fix`), or the 16- or 32-bit form. */
  count(fix: number, type16: number, n: number): void {
    if (n <= 15) this.byte(fix | n);
    else if (n <= 0xffff) this.head(type16, n, 2);
    else this.head(type16 + 1, n, 4);
  }

  text(): string {
    return this.buf.toString('latin1', 0, this.length);
  }
}

const INT64_MIN = -(2 ** 63);

/** Packs the value on top of the stack and pops it (mp_encode_lua_type). */
function packTop(vm: LuaVm, out: Packer, level: number): void {
  switch (vm.type(-1)) {
    case LuaType.String:
      out.bytes(vm.toString(-1)!);
      break;
    case LuaType.Boolean:
      out.byte(vm.toBoolean(-1) ? 0xc3 : 0xc2);
      break;
    case LuaType.Number:
      if (vm.isInteger(-1)) out.int(vm.toInteger(-1));
      else {
        // Lua 5.1's test: a double that an int64 holds exactly is an integer (2^63 is not).
        const d = vm.toNumber(-1);
        if (Number.isInteger(d) && d >= INT64_MIN && d < 2 ** 63) out.int(BigInt(d));
        else out.double(d);
      }
      break;
    case LuaType.Table:
      if (level === MAX_NESTING) out.byte(0xc0);
      else packTable(vm, out, level);
      break;
    default:
      out.byte(0xc0);
  }
  vm.pop(1);
}

function packTable(vm: LuaVm, out: Packer, level: number): void {
  if (!vm.checkStack(3)) throw new LibraryError('stack overflow (in function mp_encode_lua_table)');
  const t = vm.top();
  const length = arrayLength(vm, t);
  if (length >= 0) {
    out.count(0x90, 0xdc, length);
    for (let i = 1; i <= length; i++) {
      vm.rawGetIndex(t, i);
      packTop(vm, out, level + 1);
    }
    return;
  }
  let n = 0;
  vm.pushNil();
  while (vm.next(t)) {
    vm.pop(1);
    n++;
  }
  out.count(0x80, 0xde, n);
  vm.pushNil();
  while (vm.next(t)) {
    vm.pushValue(-2);
    packTop(vm, out, level + 1); // the key's copy
    packTop(vm, out, level + 1); // the value
  }
}

/** n when the table's keys are exactly 1..n (0 for an empty table), else -1 (table_is_an_array). */
function arrayLength(vm: LuaVm, t: number): number {
  const keys = positiveIntegerKeys(vm, t);
  return keys !== null && keys.max === keys.count ? keys.count : -1;
}

/** An array or map being filled while unpacking: how many elements, how many so far. */
interface Open {
  readonly map: boolean;
  readonly size: number;
  done: number;
  /** A map's key is on the stack, its value next. */
  keyRead: boolean;
}

/**
 * A cursor over the bytes being unpacked. Nested arrays and maps are followed with a stack of
 * their own, not by recursion: input may nest thousands deep, and Lua's stack, not the JS one,
 * must be what gives out (Lua 5.1's 8,000 values per C function, whose error Redis answers).
 */
class Unpacker {
  pos: number;
  private readonly open: Open[] = [];

  constructor(
    private readonly buf: Buffer,
    start: number,
  ) {
    this.pos = start;
  }

  get left(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): void {
    if (this.left < n) throw new LibraryError('Missing bytes in input.');
  }

  /** Pushes the next value, whole (mp_decode_to_lua_type). */
  push(vm: LuaVm): void {
    for (;;) {
      if (!this.pushOne(vm)) continue; // an array or map was opened: its first element next
      // A value is complete: store it in what holds it, and go on with what is complete then.
      for (;;) {
        const o = this.open.at(-1);
        if (o === undefined) return;
        if (o.map && !o.keyRead) {
          const key = vm.type(-1);
          // lua_settable's errors, which carry no position (raised from C).
          if (key === LuaType.Nil) throw new LibraryError('table index is nil', false);
          if (key === LuaType.Number && Number.isNaN(vm.toNumber(-1))) throw new LibraryError('table index is NaN', false);
          o.keyRead = true;
          break;
        }
        vm.rawSet(-3);
        o.done++;
        o.keyRead = false;
        if (o.done < o.size) {
          if (!o.map) vm.pushInteger(o.done + 1);
          break;
        }
        this.open.pop();
      }
    }
  }

  /** Pushes a scalar (true), or opens an array or map (false: its elements follow; an empty one is complete, true). */
  private pushOne(vm: LuaVm): boolean {
    this.need(1);
    if (vm.top() + 1 > MAX_C_STACK || !vm.checkStack(3)) throw new LibraryError('stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)');
    const b = this.buf;
    const p = this.pos;
    const type = b[p]!;
    if (type <= 0x7f) return this.integer(vm, type, 1);
    if (type >= 0xe0) return this.integer(vm, type - 0x100, 1);
    if ((type & 0xe0) === 0xa0) return this.string(vm, 1, type & 0x1f);
    if ((type & 0xf0) === 0x90) return this.openArray(vm, 1, type & 0x0f);
    if ((type & 0xf0) === 0x80) return this.openMap(vm, 1, type & 0x0f);
    switch (type) {
      case 0xc0:
        this.pos++;
        vm.pushNil();
        return true;
      case 0xc2:
      case 0xc3:
        this.pos++;
        vm.pushBoolean(type === 0xc3);
        return true;
      case 0xcc:
        this.need(2);
        return this.integer(vm, b.readUInt8(p + 1), 2);
      case 0xcd:
        this.need(3);
        return this.integer(vm, b.readUInt16BE(p + 1), 3);
      case 0xce:
        this.need(5);
        return this.integer(vm, b.readUInt32BE(p + 1), 5);
      case 0xcf:
        // Redis's lua-cmsgpack pushes it as a lua_Integer: past int64 it wraps to a negative.
        this.need(9);
        return this.integer(vm, BigInt.asIntN(64, b.readBigUInt64BE(p + 1)), 9);
      case 0xd0:
        this.need(2);
        return this.integer(vm, b.readInt8(p + 1), 2);
      case 0xd1:
        this.need(3);
        return this.integer(vm, b.readInt16BE(p + 1), 3);
      case 0xd2:
        this.need(5);
        return this.integer(vm, b.readInt32BE(p + 1), 5);
      case 0xd3:
        this.need(9);
        return this.integer(vm, b.readBigInt64BE(p + 1), 9);
      case 0xca:
        this.need(5);
        this.pos += 5;
        vm.pushNumber(b.readFloatBE(p + 1));
        return true;
      case 0xcb:
        this.need(9);
        this.pos += 9;
        vm.pushNumber(b.readDoubleBE(p + 1));
        return true;
      case 0xd9:
        this.need(2);
        return this.string(vm, 2, b.readUInt8(p + 1));
      case 0xda:
        this.need(3);
        return this.string(vm, 3, b.readUInt16BE(p + 1));
      case 0xdb:
        this.need(5);
        return this.string(vm, 5, b.readUInt32BE(p + 1));
      case 0xdc:
        this.need(3);
        return this.openArray(vm, 3, b.readUInt16BE(p + 1));
      case 0xdd:
        this.need(5);
        return this.openArray(vm, 5, b.readUInt32BE(p + 1));
      case 0xde:
        this.need(3);
        return this.openMap(vm, 3, b.readUInt16BE(p + 1));
      case 0xdf:
        this.need(5);
        return this.openMap(vm, 5, b.readUInt32BE(p + 1));
      default:
        throw new LibraryError('Bad data format in input.');
    }
  }

  private integer(vm: LuaVm, n: number | bigint, size: number): true {
    this.pos += size;
    vm.pushInteger(n);
    return true;
  }

  private string(vm: LuaVm, head: number, n: number): true {
    this.need(head + n);
    vm.pushString(this.buf.toString('latin1', this.pos + head, this.pos + head + n));
    this.pos += head + n;
    return true;
  }

  /** As lua-cmsgpack: t[i] = v for each element, so a nil leaves a hole. */
  private openArray(vm: LuaVm, head: number, n: number): boolean {
    this.pos += head;
    vm.newTable(Math.min(n, 1024), 0);
    if (vm.top() + 1 > MAX_C_STACK) throw new LibraryError('stack overflow (in function mp_decode_to_lua_array)');
    if (n === 0) return true;
    this.open.push({ map: false, size: n, done: 0, keyRead: true });
    vm.pushInteger(1);
    return false;
  }

  private openMap(vm: LuaVm, head: number, n: number): boolean {
    this.pos += head;
    vm.newTable(0, Math.min(n, 1024));
    if (n === 0) return true;
    this.open.push({ map: true, size: n, done: 0, keyRead: false });
    return false;
  }
}

/**
 * Unpacks from byte `offset` of the string argument up to `limit` values (0 and 0: all, with no
 * offset returned); with a limit or an offset, the offset of the rest comes first (-1: none
 * left). Returns the count of results pushed (mp_unpack_full).
 */
function unpack(vm: LuaVm, limit: number, offset: number): number {
  const bytes = Buffer.from(stringArg(vm, 1), 'latin1');
  vm.setTop(1);
  const all = limit === 0 && offset === 0;
  // Redis's texts, with the input's length where it means the limit, and the low 32 bits of the
  // offset (printed with %d).
  const printed = Number(BigInt.asIntN(32, BigInt(offset)));
  if (offset < 0 || limit < 0) throw new LibraryError(`Invalid request to unpack with offset of ${printed} and limit of ${bytes.length}.`);
  if (offset > bytes.length) throw new LibraryError(`Start offset ${printed} greater than input length ${bytes.length}.`);
  const cursor = new Unpacker(bytes, offset);
  let count = 0;
  for (const most = all ? Infinity : limit; cursor.left > 0 && count < most; count++) cursor.push(vm);
  if (all) return count;
  vm.pushInteger(cursor.left === 0 ? -1 : cursor.pos);
  vm.insert(2);
  return count + 1;
}

/** Installs `cmsgpack` as a global; errors are Lua errors with lua-cmsgpack's messages. */
export function installCmsgpack(vm: LuaVm): void {
  const int = (n: number, fallback?: bigint) => Number(integerArg(vm, n, fallback));
  pushLibrary(vm, {
    pack: () => {
      const n = vm.top();
      if (n === 0) throw argError(0, 'MessagePack pack needs input.');
      const out = new Packer();
      for (let i = 1; i <= n; i++) {
        vm.pushValue(i);
        packTop(vm, out, 0);
      }
      vm.pushString(out.text());
      return 1;
    },
    unpack: () => unpack(vm, 0, 0),
    unpack_one: () => unpack(vm, 1, int(2, 0n)),
    unpack_limit: () => unpack(vm, int(2), int(3, 0n)),
  });
  for (const [field, text] of [
    ['_NAME', 'cmsgpack'],
    ['_VERSION', 'lua-cmsgpack 0.4.0'],
    ['_COPYRIGHT', 'Copyright (C) 2012, Salvatore Sanfilippo'],
    ['_DESCRIPTION', 'MessagePack C implementation for Lua'],
  ] as const) {
    vm.pushString(text);
    vm.rawSetField(-2, field);
  }
  vm.setGlobal('cmsgpack');
}
