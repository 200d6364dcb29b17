// The `cjson` library Redis gives scripts (lua-cjson 2.1): cjson.encode, cjson.decode and
// cjson.null, with lua-cjson's rules where scripts can see them: a table is an array when its
// keys are 1..n (holes become null; more than half holes past index 10 is an error), otherwise
// an object whose keys must be strings or numbers; an empty table is `{}`; numbers print with
// 14 significant digits; '/' is escaped. Strings are bytes: UTF-8 in JSON stays as it was.
// Decoding is cjson-decode.ts.
import { decodeJson } from './cjson-decode.js';
import { LibraryError, LuaType, argError, formatG14, positiveIntegerKeys, pushLibrary, stringArg, typeName, type LuaVm } from './lua-vm.js';

const MAX_DEPTH = 1000;

function escapeString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x2f) out += '\\/';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c < 0x20 || c === 0x7f) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += s[i];
  }
  return `${out}"`;
}

function encodeNumber(vm: LuaVm, idx: number): string {
  if (vm.isInteger(idx)) return vm.toInteger(idx).toString();
  const x = vm.toNumber(idx);
  if (!Number.isFinite(x)) throw new LibraryError('Cannot serialise number: must not be NaN or Inf');
  return formatG14(x);
}

/** The array length of the table at `idx`, or -1 when it must be an object (lua-cjson's lua_array_length). */
function arrayLength(vm: LuaVm, idx: number): number {
  const keys = positiveIntegerKeys(vm, idx);
  if (keys === null) return -1;
  if (keys.max > 10 && keys.max > keys.count * 2) throw new LibraryError('Cannot serialise table: excessively sparse array');
  return keys.max;
}

function encodeValue(vm: LuaVm, idx: number, depth: number): string {
  switch (vm.type(idx)) {
    case LuaType.String:
      return escapeString(vm.toString(idx)!);
    case LuaType.Number:
      return encodeNumber(vm, idx);
    case LuaType.Boolean:
      return vm.toBoolean(idx) ? 'true' : 'false';
    case LuaType.Nil:
      return 'null';
    case LuaType.LightUserdata:
      if (vm.isNull(idx)) return 'null';
      break;
    case LuaType.Table:
      if (depth >= MAX_DEPTH || !vm.checkStack(4)) throw new LibraryError(`Cannot serialise, excessive nesting (${depth + 1})`);
      return encodeTable(vm, idx, depth + 1);
    default:
      break;
  }
  throw new LibraryError(`Cannot serialise ${typeName(vm.type(idx))}: type not supported`);
}

function encodeTable(vm: LuaVm, idx: number, depth: number): string {
  const t = idx < 0 ? vm.top() + idx + 1 : idx;
  const n = arrayLength(vm, t);
  if (n > 0) {
    const parts: string[] = [];
    for (let i = 1; i <= n; i++) {
      vm.rawGetIndex(t, i);
      parts.push(encodeValue(vm, -1, depth));
      vm.pop(1);
    }
    return `[${parts.join(',')}]`;
  }
  const parts: string[] = [];
  vm.pushNil();
  while (vm.next(t)) {
    let key: string;
    const kt = vm.type(-2);
    if (kt === LuaType.String) key = escapeString(vm.toString(-2)!);
    else if (kt === LuaType.Number) key = `"${encodeNumber(vm, -2)}"`;
    else throw new LibraryError(`Cannot serialise ${typeName(kt)}: table key must be a number or string`);
    parts.push(`${key}:${encodeValue(vm, -1, depth)}`);
    vm.pop(1);
  }
  return `{${parts.join(',')}}`;
}

/** Installs `cjson` as a global. Errors are raised as Lua errors with lua-cjson's messages. */
export function installCjson(vm: LuaVm): void {
  pushLibrary(vm, {
    encode: () => {
      if (vm.top() !== 1) throw argError(1, 'expected 1 argument');
      vm.pushString(encodeValue(vm, 1, 0));
      return 1;
    },
    decode: () => {
      if (vm.top() !== 1) throw argError(1, 'expected 1 argument');
      decodeJson(vm, stringArg(vm, 1));
      return 1;
    },
  });
  vm.pushNull();
  vm.rawSetField(-2, 'null');
  vm.setGlobal('cjson');
}
