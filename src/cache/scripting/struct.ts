// The `struct` library Redis gives scripts (Roberto Ierusalimschy's lua_struct 1.4 with Redis's
// fixes): struct.pack, struct.unpack and struct.size, as redis-server 7.0 on x86-64 runs them.
// What scripts can see of that:
// - sizes are x86-64's: b/B 1, h/H 2, l/L/T 8, i/I 4 unless given (up to 32), f 4, d 8; the
//   byte order is little-endian unless '>' says otherwise; '!' aligns values to their size, at
//   most its number (8 without one); c and s are not aligned;
// - integers go through a 64-bit C integer: packing casts the number as C does (a fraction is
//   cut, out of range wraps or saturates as x86-64's conversions do), and the bytes of a size
//   above 8 past the value's 8 are zeros; unpacking keeps the 8 bytes nearest the low end;
// - every number is a Lua 5.1 double: what is unpacked is rounded to one;
// - errors are luaL_error's and luaL_argerror's, with lua_struct's texts.
import { LibraryError, MAX_C_STACK, argError, integerArg, lua51ToNumber, numberArg, pushLibrary, pushLua51Number, stringArg, toInt64, type LuaVm } from './lua-vm.js';

/** The largest size of i and I (MAXINTSIZE). */
const MAX_INT_SIZE = 32;
/** '!' without a number: x86-64's alignment of a double. */
const MAX_ALIGN = 8;
const INT_MAX = 2 ** 31 - 1;
const UINT64 = 2n ** 64n;
const UINT64_MASK = UINT64 - 1n;

/** A number cast to a C unsigned 64-bit integer as gcc does on x86-64 (NaN and the negatives through int64). */
function toUint64(x: number): bigint {
  if (!(x >= 2 ** 63)) return BigInt.asUintN(64, toInt64(x));
  return BigInt.asUintN(64, toInt64(x - 2 ** 63)) ^ (1n << 63n);
}

/** A format string being read, with the byte order and alignment its options set. */
class Format {
  private at = 0;
  little = true;
  private align = 1;
  private readonly text: string;

  constructor(text: string) {
    // A C string: it ends at the first NUL.
    const nul = text.indexOf('\0');
    this.text = nul < 0 ? text : text.slice(0, nul);
  }

  get done(): boolean {
    return this.at >= this.text.length;
  }

  option(): string {
    return this.text[this.at++]!;
  }

  /** The number written after an option, or `fallback` (getnum). */
  private number(fallback: number): number {
    if (!isDigit(this.text[this.at])) return fallback;
    let n = 0;
    while (isDigit(this.text[this.at])) {
      const digit = this.text.charCodeAt(this.at++) - 48;
      if (n > INT_MAX / 10 || n * 10 > INT_MAX - digit) throw new LibraryError('integral size overflow');
      n = n * 10 + digit;
    }
    return n;
  }

  /** The bytes option `opt` takes, reading its number (optsize); 0 for those that take none. */
  size(opt: string): number {
    switch (opt) {
      case 'b':
      case 'B':
      case 'x':
        return 1;
      case 'h':
      case 'H':
        return 2;
      case 'f':
        return 4;
      case 'l':
      case 'L':
      case 'T':
      case 'd':
        return 8;
      case 'c':
        return this.number(1);
      case 'i':
      case 'I': {
        const n = this.number(4);
        if (n > MAX_INT_SIZE) throw new LibraryError(`integral size ${n} is larger than limit of ${MAX_INT_SIZE}`);
        return n;
      }
      default:
        return 0;
    }
  }

  /** The padding before a value of `size` bytes at offset `len` (gettoalign; its formula also for sizes that are not powers of 2). */
  padding(len: bigint, opt: string, size: number): number {
    if (size === 0 || opt === 'c') return 0;
    const n = Math.min(size, this.align);
    const mask = n - 1;
    return (n - (Number(len & 31n) & mask)) & mask;
  }

  /** Applies an option that is not a value (' ', '>', '<', '!'), or refuses it (controloptions). */
  control(opt: string): void {
    switch (opt) {
      case ' ':
        return;
      case '>':
        this.little = false;
        return;
      case '<':
        this.little = true;
        return;
      case '!': {
        const n = this.number(MAX_ALIGN);
        if (n <= 0 || (n & (n - 1)) !== 0) throw new LibraryError(`alignment ${n} is not a power of 2`);
        this.align = n;
        return;
      }
      default:
        throw argError(1, `invalid format option '${opt}'`);
    }
  }
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function isInteger(opt: string): boolean {
  return 'bBhHlLTiI'.includes(opt);
}

/** An integer of `size` bytes: the 64-bit value's bytes, zeros past its 8 (putinteger). */
function integerBytes(value: bigint, size: number, little: boolean): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < Math.min(size, 8); i++) out[little ? i : size - 1 - i] = Number((value >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** The integer of `size` bytes at `p` as a double (getinteger): shifted through 64 bits, sign-extended as x86-64 shifts the mask. */
function readInteger(data: Buffer, p: number, size: number, little: boolean, signed: boolean): number {
  let l = 0n;
  for (let i = 0; i < size; i++) l = ((l << 8n) | BigInt(data[little ? p + size - 1 - i : p + i]!)) & UINT64_MASK;
  if (!signed) return Number(l);
  const mask = (UINT64_MASK << BigInt((size * 8 - 1) & 63)) & UINT64_MASK;
  if ((l & mask) !== 0n) l |= mask;
  return Number(BigInt.asIntN(64, l));
}

function pack(vm: LuaVm): number {
  const f = new Format(stringArg(vm, 1));
  // lua_struct's mark between the values and its buffer: the first value missing is a nil.
  vm.pushNil();
  const parts: Buffer[] = [];
  let total = 0;
  let arg = 2;
  while (!f.done) {
    const opt = f.option();
    let size = f.size(opt);
    const padding = f.padding(BigInt(total), opt, size);
    if (padding > 0) parts.push(Buffer.alloc(padding));
    total += padding;
    if (isInteger(opt)) {
      parts.push(integerBytes(toUint64(numberArg(vm, arg++)), size, f.little));
    } else if (opt === 'x') {
      parts.push(Buffer.alloc(1));
    } else if (opt === 'f' || opt === 'd') {
      const b = Buffer.alloc(size);
      const x = numberArg(vm, arg++);
      if (opt === 'f') b.writeFloatLE(x);
      else b.writeDoubleLE(x);
      parts.push(f.little ? b : b.reverse());
    } else if (opt === 'c' || opt === 's') {
      const s = stringArg(vm, arg++);
      if (size === 0) size = s.length;
      // lua_struct names the argument after this one.
      if (s.length < size) throw argError(arg, 'string too short');
      parts.push(Buffer.from(s.slice(0, size), 'latin1'));
      if (opt === 's') {
        parts.push(Buffer.alloc(1));
        size++;
      }
    } else {
      f.control(opt);
    }
    total += size;
  }
  vm.pushString(Buffer.concat(parts).toString('latin1'));
  return 1;
}

function unpack(vm: LuaVm): number {
  const f = new Format(stringArg(vm, 1));
  const text = stringArg(vm, 2);
  const data = Buffer.from(text, 'latin1');
  const length = BigInt(data.length);
  // A C size_t: a negative start wraps to a huge one (then too far), only 0 is refused.
  let pos = BigInt.asUintN(64, integerArg(vm, 3, 1n));
  if (pos === 0n) throw argError(3, 'offset must be 1 or greater');
  pos--;
  const fits = (size: bigint) => {
    if (size > length || pos > length - size) throw argError(2, 'data string too short');
  };
  let n = 0;
  while (!f.done) {
    const opt = f.option();
    let size = f.size(opt);
    pos = (pos + BigInt(f.padding(pos, opt, size))) % UINT64;
    fits(BigInt(size));
    // Room for this value and the position after it, within what Lua 5.1 gives a C function.
    if (vm.top() + 2 > MAX_C_STACK || !vm.checkStack(2)) throw new LibraryError('stack overflow (too many results)');
    const p = Number(pos);
    if (isInteger(opt)) {
      pushLua51Number(vm, readInteger(data, p, size, f.little, 'bhli'.includes(opt)));
      n++;
    } else if (opt === 'f') {
      pushLua51Number(vm, f.little ? data.readFloatLE(p) : data.readFloatBE(p));
      n++;
    } else if (opt === 'd') {
      pushLua51Number(vm, f.little ? data.readDoubleLE(p) : data.readDoubleBE(p));
      n++;
    } else if (opt === 'c') {
      if (size === 0) {
        // c0: as long as the value just unpacked says.
        const previous = n === 0 ? null : lua51ToNumber(vm, -1);
        if (previous === null) throw new LibraryError("format 'c0' needs a previous size");
        const wanted = toUint64(previous);
        vm.pop(1);
        n--;
        fits(wanted);
        size = Number(wanted);
      }
      vm.pushString(text.slice(p, p + size));
      n++;
    } else if (opt === 's') {
      const end = text.indexOf('\0', p);
      if (end < 0) throw new LibraryError('unfinished string in data');
      size = end - p + 1;
      vm.pushString(text.slice(p, end));
      n++;
    } else if (opt !== 'x') {
      f.control(opt);
    }
    pos = (pos + BigInt(size)) % UINT64;
  }
  // A size_t pushed as a lua_Integer, then a double.
  pushLua51Number(vm, Number(BigInt.asIntN(64, pos + 1n)));
  return n + 1;
}

function size(vm: LuaVm): number {
  const f = new Format(stringArg(vm, 1));
  let pos = 0;
  while (!f.done) {
    const opt = f.option();
    const n = f.size(opt);
    pos += f.padding(BigInt(pos), opt, n);
    if (opt === 's') throw argError(1, "option 's' has no fixed size");
    if (opt === 'c' && n === 0) throw argError(1, "option 'c0' has no fixed size");
    // Letters and digits it does not know are not refused here, as lua_struct's size().
    if (!/[A-Za-z0-9]/.test(opt)) f.control(opt);
    pos += n;
  }
  pushLua51Number(vm, pos);
  return 1;
}

/** Installs `struct` as a global; errors are Lua errors with lua_struct's messages. */
export function installStruct(vm: LuaVm): void {
  pushLibrary(vm, { pack: () => pack(vm), unpack: () => unpack(vm), size: () => size(vm) });
  vm.setGlobal('struct');
}
