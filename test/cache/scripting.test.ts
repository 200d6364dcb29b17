// EVAL and its kin through real clients: the same scripts against Depot and redis-server 7.0.15
// side by side (replies compared exactly, errors included), ioredis's defineCommand (EVALSHA,
// falling back to EVAL on NOSCRIPT), node-redis's scriptLoad/evalSha, `redis-cli --eval`, a
// script's writes across SIGKILL, a runaway script stopped, and the atomicity a WATCH sees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import type { Reply } from '../../src/protocol/resp/reply-reader.js';
import { RespClient, show, sideBySide } from '../helpers/cache-resp-client.js';
import { depotAndRedis, startDepot } from '../helpers/cache-servers.js';
import { startDepot as startNode } from '../helpers/depot-process.js';
import { eventually } from '../helpers/wait.js';

const run = promisify(execFile);

const servers = depotAndRedis();

/** Each command line, with its reply, as both servers answer it in turn on one connection each. */

test('replies and errors of scripts are the ones redis-server gives', async () => {
  const lines: string[][] = [
    ['FLUSHALL'],
    ['SET', 's', 'abc'],
    // Lua values to replies
    ['EVAL', 'return 3.99', '0'],
    ['EVAL', 'return -7', '0'],
    ['EVAL', "return 'text'", '0'],
    ['EVAL', 'return {1, 2, nil, 4}', '0'],
    ['EVAL', "return {1, {ok = 'x'}, {err = 'e'}, false, 2.5, 'y', {3, {4}}}", '0'],
    ['EVAL', "return {ok = 'fine'}", '0'],
    ['EVAL', "return {err = 'boom'}", '0'],
    ['EVAL', "return redis.error_reply('MY error')", '0'],
    ['EVAL', "return redis.status_reply('FINE')", '0'],
    ['EVAL', 'return true', '0'],
    ['EVAL', 'return false', '0'],
    ['EVAL', 'return nil', '0'],
    ['EVAL', 'return {}', '0'],
    // Replies to Lua values
    ['EVAL', "return redis.call('set', KEYS[1], ARGV[1])", '1', 'k', 'v'],
    ['EVAL', "return redis.call('get', 'nokey')", '0'],
    ['EVAL', "return tostring(redis.call('get', 'nokey'))", '0'],
    ['EVAL', "return type(redis.call('ping'))", '0'],
    ['EVAL', "return redis.call('ping')['ok']", '0'],
    ['EVAL', "return redis.call('incr', 'n') + 10", '0'],
    ['EVAL', "local r = redis.pcall('incr', 's') return r['err']", '0'],
    // Redis 7's pcall hands back a caught error table's err field.
    ['EVAL', "local ok, e = pcall(redis.call, 'incr', 's') return {tostring(ok), type(e), e}", '0'],
    ['EVAL', "return {pcall(function() error({err = 'X bad'}) end)}", '0'],
    ['EVAL', "local ok, e = pcall(function() error({err = 5}) end) return {type(e), e}", '0'],
    ['EVAL', "local ok, e = pcall(function() error({foo = 5}) end) return type(e)", '0'],
    ['EVAL', "local ok, e = pcall(function() error(setmetatable({}, {__index = function() return 'meta' end})) end) return {type(e), e}", '0'],
    ['EVAL', "return {pcall(function() error('plain') end)}", '0'],
    ['EVAL', 'return select(\'#\', pcall(function(...) return ... end, 1, nil, 3, nil))', '0'],
    ['EVAL', 'local ok, e = pcall() return {tostring(ok), e}', '0'],
    ['EVAL', 'local ok, e = pcall(error) return {tostring(ok), tostring(e)}', '0'],
    ['EVAL', "local ok, e = xpcall(function() redis.call('incr', 's') end, function(m) return type(m) end) return {tostring(ok), e}", '0'],
    ['EVAL', "redis.call('rpush', 'l', 'a', 'b', 'c') return redis.call('lrange', 'l', 0, -1)", '0'],
    ['EVAL', "redis.call('hset', 'h', 'f', '1', 'g', '2') return redis.call('hgetall', 'h')", '0'],
    ['EVAL', "return redis.call('zadd', 'z', 1.5, 'a')", '0'],
    ['EVAL', "return redis.call('zscore', 'z', 'a')", '0'],
    ['EVAL', "return redis.call('set', 'num', 3.0)", '0'],
    ['GET', 'num'],
    ['EVAL', "return redis.call('set', 'num', 0.1)", '0'],
    ['GET', 'num'],
    // SELECT inside a script changes the script's database only
    ['EVAL', "redis.call('select', 5) return redis.call('set', 'sx', '1')", '0'],
    ['GET', 'sx'],
    ['SELECT', '5'],
    ['GET', 'sx'],
    ['SELECT', '0'],
    // KEYS, ARGV, numkeys
    ['EVAL', 'return {#KEYS, #ARGV, KEYS[1], ARGV[2]}', '2', 'a', 'b', 'c', 'd'],
    ['EVAL', 'return 1', '-1'],
    ['EVAL', 'return 1', '2', 'a'],
    ['EVAL', 'return 1', 'x'],
    // Errors, with where they were raised
    ['EVAL', "return redis.call('incr', KEYS[1])", '1', 's'],
    ['EVAL', "return redis.call('nosuch')", '0'],
    ['EVAL', "return redis.call('get')", '0'],
    ['EVAL', "return redis.call('subscribe', 'x')", '0'],
    ['EVAL', "return redis.call('multi')", '0'],
    ['EVAL', "return redis.call('set', 'k', {})", '0'],
    ['EVAL', 'return redis.call()', '0'],
    ['EVAL', 'return x', '0'],
    ['EVAL', 'x = 1', '0'],
    ['EVAL', "error('plain')", '0'],
    ['EVAL', "error({err = 'tbl'})", '0'],
    ['EVAL', "local a = 1\nlocal b = 2\nreturn redis.call('incr', 's')", '0'],
    ['EVAL', 'return os', '0'],
    // The sandbox: what one script does to globals and libraries, the next one does not see
    ['EVAL', 'redis = nil', '0'],
    ['EVAL', 'redis.call = nil', '0'],
    ['EVAL', "return redis.call('ping')", '0'],
    ['EVAL', "rawset(_G, 'yy', 1)", '0'],
    ['EVAL', '_G.zz = 1', '0'],
    ['EVAL', 'x = 1', '0'],
    ['EVAL', 'string.upper = nil', '0'],
    ['EVAL', "getmetatable('').__index = nil", '0'],
    ['EVAL', "return {('a'):upper(), type(getmetatable(''))}", '0'],
    ['EVAL', 'return {type(getmetatable(string)), type(getmetatable(redis)), type(getmetatable(cjson)), type(getmetatable(_G)), type(getmetatable(_G).__index)}', '0'],
    ['EVAL', 'return {tostring(getmetatable(setmetatable({}, { __metatable = false }))), getmetatable(setmetatable({}, { __metatable = 7 }))}', '0'],
    ['EVAL', 'local m = getmetatable() return m', '0'],
    ['EVAL', 'getmetatable(_G).__index = nil', '0'],
    // Numbers print as Lua 5.1's doubles ("%.14g"): no ".0" on integral floats.
    ['EVAL', "return {tostring(10/2), 'x' .. 3/1, 1/2 .. '', -0.0 .. '', 2^53 .. '', 1e14 .. '', 1e15 .. '', (2^63) .. '', 7 .. '', -(10/5) .. ''}", '0'],
    ['EVAL', "return {string.format('%s|%d|%5.1f|%g', 4/2, 7/1, 2, 3/1), string.rep('ab', 6/2), ('k:' .. ARGV[1] / 2)}", '0', '10'],
    // string.format casts a number with a fraction for an integer conversion, as 5.1 does.
    ['EVAL', "return {string.format('%d|%i|%x|%X|%o|%c|%5.3d|%%|%s|%-4u|', 2.5, -2.5, 255.9, 254.2, 8.5, 65.2, 7.9, 'z', 3.7), ('%d'):format(10/4), string.format('%d %d', '2.5', ' 7 ')}", '0'],
    ['EVAL', "return {string.format('%d', 1e300), string.format('%d', -1/0), string.format('%d', 2^63), string.format('%d', -2^63), string.format('%x', 2^53 + 0.5), string.format('%5.1f %d', 2.25, 3.5)}", '0'],
    ['EVAL', "local s = string.format('%d', {}) return s", '0'],
    ['EVAL', "local s = string.format('%d', 2.5, {}) return s", '0'],
    ['EVAL', "local s = string.format('%d %d', 2.5) return s", '0'],
    ['EVAL', "local s = string.format() return s", '0'],
    ['EVAL', "redis.call('set', 'k' .. 4/2, 6/3 .. '') return {redis.call('get', 'k2'), redis.call('incrbyfloat', 'k2', 1/2), tostring(tonumber('5.0')), tostring(tonumber('5'))}", '0'],
    ['EVAL', 'function f() end', '0'],
    ['EVAL', "return loadstring('x = 1')()", '0'],
    ['EVAL', "return loadstring('return 7')()", '0'],
    ['EVAL', 'local t = {} t.x = 1 return t.x', '0'],
    ['EVAL', "return redis.call('eval', 'return 1', '0')", '0'],
    // Blocking commands: refused, or (BLMPOP, in Redis 7.0) run without waiting.
    ['EVAL', "return redis.call('blmove', 'nolist', 'other', 'LEFT', 'LEFT', 0)", '0'],
    ['EVAL', "return redis.call('bzpopmin', 'nolist', 0)", '0'],
    ['EVAL', "return redis.call('blmpop', 0, 1, 'nolist', 'LEFT')", '0'],
    ['EVAL', "redis.call('rpush', 'bl', 'x') return redis.call('blmpop', 0, 1, 'bl', 'LEFT')", '0'],
    ['EVAL_RO', "return redis.call('set', 'x', 'y')", '0'],
    ['EVAL_RO', "return redis.call('get', 'k')", '0'],
    ['EVAL', "#!lua flags=no-writes\nreturn redis.call('set', 'x', 'y')", '0'],
    ['EVAL', "#!lua flags=no-writes\nreturn redis.call('get', 'k')", '0'],
    ['EVAL', '#!lua flags=bogus\nreturn 1', '0'],
    // The script cache
    ['SCRIPT', 'LOAD', "return 'loaded'"],
    ['EVALSHA', 'b534286061d4b9e4026607613b95c06c06015ae8', '0'],
    ['EVALSHA', 'B534286061D4B9E4026607613B95C06C06015AE8', '0'],
    ['SCRIPT', 'EXISTS', 'b534286061d4b9e4026607613b95c06c06015ae8', 'ffff'],
    ['SCRIPT', 'FLUSH'],
    ['EVALSHA', 'b534286061d4b9e4026607613b95c06c06015ae8', '0'],
    ['SCRIPT', 'KILL'],
    ['SCRIPT', 'FLUSH', 'bad'],
    // Libraries
    ['EVAL', "return redis.sha1hex('')", '0'],
    ['EVAL', 'return {type(unpack), type(loadstring), type(table.getn), type(math.pow), type(cjson), type(bit)}', '0'],
    ['EVAL', "return cjson.encode({a = {1, 2, 'x/y', true}})", '0'],
    ['EVAL', "local t = cjson.decode('[1,2,{\"a\":[3,\"b\"]}]') return {t[1], t[3].a[2]}", '0'],
    ['EVAL', "return cjson.encode(cjson.decode('{\"k\":null}'))", '0'],
    // Decoded numbers are Lua 5.1's doubles: printed with %.14g past 1e14.
    ['EVAL', "local out = {} for i, v in ipairs(cjson.decode('[1e15, 123456789012345, 12345678901234, 5, 1.5, 1e300, 9007199254740993, -7]')) do out[i] = tostring(v) end return out", '0'],
    ['EVAL', 'local t = {} t[1] = t return cjson.encode(t)', '0'],
    ['EVAL', "return cjson.decode(string.rep('[', 1100) .. string.rep(']', 1100))", '0'],
    ['EVAL', 'return cjson.encode(function() end)', '0'],
    ['EVAL', 'return cjson.encode({[true] = 1})', '0'],
    ['EVAL', 'return cjson.encode({1, nil, 3})', '0'],
    ['EVAL', 'local t = {} t[20] = 1 return cjson.encode(t)', '0'],
    ['EVAL', 'return cjson.encode({{b = 1e20}, {c = -0.0001}, {d = 1.5}, 7, 2^53})', '0'],
    ['EVAL', "return cjson.encode('a\"b\\\\c/\\n\\1')", '0'],
    // Argument errors as lauxlib words them: the name the caller used ('?' through pcall).
    ...['cjson.decode()', 'cjson.decode({})', "cjson.decode('5', 6)", 'cjson.decode(5)', '{pcall(cjson.encode)}'].map((x) => ['EVAL', `return ${x}`, '0']),
    ['EVAL', 'return {bit.band(7, 3), bit.bor(1, 2, 4), bit.bxor(5, 1), bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-256, 4), bit.tohex(-1), bit.tohex(255, -4)}', '0'],
    ['EVAL', "return string.format('%d %s', 5, 'x') .. string.rep('ab', 3)", '0'],
    ['EVAL', "return redis.REDIS_VERSION", '0'],
    ['EVAL', 'return redis.setresp(4)', '0'],
    ['EVAL', 'redis.log(9, "x")', '0'],
    ['EVAL', 'redis.log(1)', '0'],
    ['EVAL', 'redis.log("a", "x")', '0'],
    ['EVAL', 'redis.log(redis.LOG_DEBUG, "fine")', '0'],
    ['EVAL', 'redis.sha1hex()', '0'],
    ['EVAL', 'return redis.error_reply(1)', '0'],
    ['EVAL', 'redis.set_repl(9)', '0'],
    ['EVAL', 'redis.set_repl(redis.REPL_ALL) return redis.replicate_commands()', '0'],
  ];
  const { depot: d, redis: r } = await sideBySide(servers.depot.port, servers.redis.port, lines);
  assert.deepEqual(d, r);
});

test("the string, table and math functions take and answer what Lua 5.1's do in Redis", async () => {
  const scripts = [
    // Integer arguments with a fraction are cast towards zero (5.4 refuses them); NaN and out of range are INT64_MIN.
    "return string.sub('hello', 1.5, 3.7)",
    "return string.sub('hello', -1.5)",
    "return string.sub('hello', '2.9')",
    "return string.sub('hello', 0/0)",
    "return string.sub('hello', 1/0)",
    "return string.sub('hello', 2^53)",
    "return string.sub('hello', -2^53)",
    "local r = {string.byte('abc', 1.5, 2.5)} return r",
    "return string.byte('abc', -1.5)",
    "return string.char(65.7, 66.2)",
    "return string.rep('x', 2.5)",
    "return string.rep('ab', 2^31)",
    "return {string.find('abc', 'b', 1.5)}",
    "return string.match('key:123', '%d+', 4.5)",
    "return {string.gsub('hello', 'l', 'L', 1.5)}",
    "return table.concat({1, 2, 3}, ',', 1.5, 2.5)",
    "local t = {1, 2, 3} table.remove(t, 1.5) return t",
    "local t = {1, 2, 3} table.insert(t, 1.5, 9) return t",
    "return {unpack({1, 2, 3}, 1.5, 2.5)}",
    "return select(1.5, 'a', 'b')",
    "return select('#', 1, nil, 3)",
    // Where 5.1 answered what 5.4 refuses, or ignored an argument 5.4 reads.
    "local t = {} table.insert(t, 5, 1) return {#t, t[5]}",
    "local t = {1, 2} table.insert(t, 0, 'z') return {t[0], t[1], t[2], t[3]}",
    "local t = {1, 2, 3} table.insert(t, 2, 9) return t",
    "local t = {1, 2} return {select('#', table.remove(t, 5)), #t}",
    "local t = {} return select('#', table.remove(t))",
    "local t = {1, 2, 3} return {table.remove(t), table.remove(t, 1), t[1]}",
    "return string.rep('ab', 3, ',')",
    "return tostring(math.log(8, 2))",
    "return tostring(math.log10(1000))",
    "return {math.frexp(8)}",
    "return tostring(math.ldexp(1, 3))",
    "return tostring(tonumber('inf')) .. tostring(tonumber(' -Infinity ')) .. tostring(tonumber('nan')) .. tostring(tonumber('-nan'))",
    "return {tonumber('0x10'), tonumber('  10  '), tonumber('10', 16), tonumber('zz', 36), tonumber(''), tonumber('1e'), tonumber('infx')}",
    "local r = math.random(0) return r",
    "local r = math.random(5, 1) return r",
    "return math.random(2.5) <= 2",
    // math.floor and math.ceil give floats, as 5.1's numbers all are.
    "return {tostring(math.floor(3.5)), tostring(math.ceil(-0.5)), tostring(math.floor(-0.0)), tostring(math.floor(2^60)), tostring(math.ceil(1e15 + 0.5))}",
    "return math.floor(-3.5)",
    "return math.floor('3.5')",
    "local t = {} t[math.floor(1.5)] = 'x' return t[1]",
    "return {bit.arshift(-256, 4), bit.tobit(2^32 + 5), bit.band(-1, 255)}",
    "local r = math.floor() return r",
    "local ok, e = pcall(string.rep) return {ok and 1 or 0}",
    "local s = string.sub() return s",
    "local t = table.insert(nil, 1) return t",
  ];
  const lines = scripts.map((body) => ['EVAL', body, '0']);
  const { depot: d, redis: r } = await sideBySide(servers.depot.port, servers.redis.port, lines);
  assert.deepEqual(d, r);
});

test("cjson.decode reads what Redis's lua-cjson reads, bytes and errors included", async () => {
  // Each text goes in as ARGV[1]; the script shows what came back, or the error's text.
  const script = "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'error: ' .. r end if r == cjson.null then return 'cjson.null' end if type(r) == 'table' then return cjson.encode(r) end return type(r) .. ': ' .. tostring(r)";
  const texts = [
    // Syntax errors: what was expected, the token found and where (1-based), as lua-cjson words them.
    ...['bad json', '', '   ', '-', '-a', '.5', '1e', 'nul', 'tru', '[1,2', '[1,]', '[,1]', '{"a":1,}', '{"a" 1}', '{1:2}', '{"a":1 "b":2}', '[1 2]', '[1]x', '1 2', '123abc'],
    // Strings: escapes, surrogate pairs (a lone one is refused), raw control characters and bytes kept.
    ...['"abc', '"a\\qb"', '"\\u12"', '"\\ud800"', '"\\udc00"', '"\\ud800\\u0041"', '"\\ud83d\\ude00"', '"\\u00e9"', '"\\/"', '"tab\there"', '"\u00ff\u00fe"'],
    // Numbers as strtod reads them where JSON would refuse them.
    ...['+1', '01', '0x10', '1.', '1e400', '-0', 'inf', '-inf', 'Infinity', '-1.5e-3', '1E+2', '12345678901234567890'],
    ...['null', 'true ', '[true,false,null]', '  [ ]  ', '{}', '{"":1}', '{"a":1,"a":2}', '{"a":[1,{"b":null}]}'],
  ];
  const lines: string[][] = texts.map((t) => ['EVAL', script, '0', Buffer.from(t, 'utf8').toString('latin1')]);
  for (const body of [
    // A NUL ends the text; one in the first two bytes means UTF-16 or UTF-32.
    "cjson.decode('[1]\\0garbage')",
    "cjson.decode('\"a\\0b\"')",
    "cjson.decode('1\\0')",
    "cjson.decode('\"\\255\\254\"')",
    // Nesting: 1,000 levels are decoded, the 1,001st is refused where it opens.
    "cjson.decode(string.rep('[', 1000) .. string.rep(']', 1000)) and 'deep'",
    "cjson.decode(string.rep('{\"a\":', 1001) .. '1' .. string.rep('}', 1001))",
  ]) {
    lines.push(['EVAL', `local ok, r = pcall(function() return ${body} end) return ok and (type(r) == 'table' and cjson.encode(r) or r) or ('error: ' .. r)`, '0']);
  }
  lines.push(['EVAL', "return cjson.decode('{bad')", '0']);
  const { depot: d, redis: r } = await sideBySide(servers.depot.port, servers.redis.port, lines);
  assert.deepEqual(d, r);
});

test("cmsgpack packs and unpacks what Redis's lua-cmsgpack does, byte for byte, errors included", async () => {
  const pack = (x: string) => ['EVAL', `return cmsgpack.pack(${x})`, '0'];
  const unpack = (body: string, bytes: string) => ['EVAL', body, '0', Buffer.from(bytes.replace(/ /g, ''), 'hex').toString('latin1')];
  const lines: string[][] = [
    // Integers in the fewest bytes, on both sides of every bound; integral floats are integers.
    ...['0', '127', '128', '255', '256', '65535', '65536', '4294967295', '4294967296', '-1', '-32', '-33', '-128', '-129', '-32768', '-32769', '-2147483648', '-2147483649', '5.0', '-0.0', '2^53', '-2^63'].map(pack),
    // Floats: float32 when that is exact (the infinities too), else float64 (NaN, 0.1, 2^63).
    ...['1.5', '0.1', '1/0', '-1/0', '0/0', '1e300', '2^63', '3.14159'].map(pack),
    ...["'abc'", "''", "string.rep('x', 31)", "string.rep('x', 32)", "string.rep('x', 255)", "string.rep('x', 256)", "string.rep('x', 65535)", "string.rep('x', 65536)"].map(pack),
    // Tables: arrays when the keys are 1..n (an empty table too), maps otherwise, nil past 16 levels.
    ...['true', 'false', 'nil', '{}', '{1, 2, 3}', '{1, nil, 3}', '{[1] = 1, [3] = 3}', '{a = 1}', '{[0] = 1}', '{[1.5] = 1}', '{1, {2, {3, {4}}}}', "1, 2, 'x'", 'print', '{f = print}', ''].map(pack),
    ['EVAL', 'local t = {} local c = t for i = 1, 20 do c[1] = {} c = c[1] end return cmsgpack.pack(t)', '0'],
    ['EVAL', 'local t = {} t[1] = t return cmsgpack.pack(t)', '0'],
    ['EVAL', 'local t = {} for i = 1, 16 do t[i] = i end return cmsgpack.pack(t)', '0'],
    ['EVAL', 'local t = {} for i = 1, 70000 do t[i] = i end return #cmsgpack.pack(t)', '0'],
    ['EVAL', "local t = {} for i = 1, 16 do t['k' .. i] = i end return #cmsgpack.pack(t)", '0'],
    ['EVAL', "return cmsgpack.unpack(cmsgpack.pack(1, 2, 'x', {1, 2}))", '0'],
    ['EVAL', 'return cmsgpack.unpack(cmsgpack.pack({a = 1, b = {1, 2}})).b', '0'],
    // What other packers send: BullMQ's options (msgpackr) as a map of str, uint16, float64 and an array.
    unpack("local t = cmsgpack.unpack(ARGV[1]) return {t.name, t.n, tostring(t.f), t.arr[2]}", '84 a46e616d65 a36a6f62 a16e cd0100 a166 cb400921f9f01b866e a3617272 92 01 02'),
    unpack('return cmsgpack.unpack(ARGV[1])', '93 a3666f6f a3626172 a362617a'),
    unpack('return cmsgpack.unpack(ARGV[1])', 'cf ffffffffffffffff'),
    unpack('return tostring(cmsgpack.unpack(ARGV[1]))', 'ca 3fc00000'),
    unpack('return tostring(cmsgpack.unpack(ARGV[1]))', 'cb 3fb999999999999a'),
    unpack('return cmsgpack.unpack(ARGV[1])', '92 c0 01'),
    unpack('return cmsgpack.unpack(ARGV[1])', '81 a161 c0'),
    // Errors: cut short, unknown types (bin), a nil key, no input, wrong argument types.
    unpack('return cmsgpack.unpack(ARGV[1])', 'cd 01'),
    unpack('return cmsgpack.unpack(ARGV[1])', '91'),
    unpack('return cmsgpack.unpack(ARGV[1])', 'c4 01 78'),
    unpack('return cmsgpack.unpack(ARGV[1])', '81 c0 01'),
    ['EVAL', "return cmsgpack.unpack('')", '0'],
    ['EVAL', 'return cmsgpack.unpack(5)', '0'],
    ['EVAL', 'return cmsgpack.unpack()', '0'],
    ['EVAL', 'return cmsgpack.unpack({})', '0'],
    // unpack_one and unpack_limit: the offset of what is left first (-1: nothing), then the values.
    ...['', ', 1', ', 2', ', 3', ', 4', ', -1'].map((o) => unpack(`return {cmsgpack.unpack_one(ARGV[1]${o})}`, '01 02 03')),
    ...[', 2', ', 2, 2', ', 0', '', ", '2'", ', 1.7'].map((o) => unpack(`return {cmsgpack.unpack_limit(ARGV[1]${o})}`, '01 02 03')),
    // Offsets and limits are 64-bit (C's cast of the number); the messages print their low 32 bits.
    ...[', 2^32 + 1', ', 2^32 + 1, 2^32 + 1', ', 1e300', ", 'inf'", ", ''"].map((o) => unpack(`return {cmsgpack.unpack_limit(ARGV[1]${o})}`, '01 02 03')),
    unpack('return {cmsgpack.unpack_one(ARGV[1], -2^32 + 2)}', '01 02 03'),
    ['EVAL', 'return {pcall(cmsgpack.unpack, {})}', '0'],
    // Lua 5.1's 8,000 values a C function may hold: too many values, or arrays nested 4,000 deep.
    ['EVAL', "return #{cmsgpack.unpack(string.rep('\\1', 7990))}", '0'],
    ['EVAL', "return #{cmsgpack.unpack(string.rep('\\1', 8100))}", '0'],
    ['EVAL', "return type(cmsgpack.unpack(string.rep('\\145', 3000) .. '\\1'))", '0'],
    ['EVAL', "return type(cmsgpack.unpack(string.rep('\\145', 5000) .. '\\1'))", '0'],
    ['EVAL', 'return {cmsgpack._NAME, cmsgpack._VERSION}', '0'],
    ['EVAL', 'cmsgpack.x = 1', '0'],
    ['PING'],
  ];
  const { depot: d, redis: r } = await sideBySide(servers.depot.port, servers.redis.port, lines);
  assert.deepEqual(d, r);
});

test("struct packs, unpacks and sizes what Redis's lua_struct does, byte for byte, errors included", async () => {
  const run = (body: string) => ['EVAL', body, '0'];
  const pack = (args: string) => run(`return struct.pack(${args})`);
  const unpack = (args: string) => run(`return {struct.unpack(${args})}`);
  const size = (fmt: string) => run(`return struct.size('${fmt}')`);
  const lines: string[][] = [
    // Every integer option, both byte orders (little-endian unless '>'), on both sides of its range.
    ...["'b B', -1, 255", "'b B', 128, -129", "'<h >h <H >H', 1, 1, 65535, -2", "'<l >l', -2, 2^53", "'<L >L', 2^63, 2^64 - 1", "'T', 12345678"].map(pack),
    ...["'<i >i <I >I', -5, -5, 4294967295, 2^32 + 7", "'<i3 >i3 <I3 >I3', -1, -1, 2^24 + 5, 70000", "'i0 i1 i5 i6 i7', 1, 2, 3, 4, 5"].map(pack),
    // Sizes past 8: the 64-bit value's bytes, zeros past them; 32 is the limit.
    ...["'<i16 >i16', -1, -1", "'<i9 >I12', -2, 2^40", "'i32', 1", "'i33', 1", "'I99999999999', 1"].map(pack),
    // Numbers through C's casts: fractions cut, out of range saturated or wrapped as on x86-64.
    ...["'<b <b <b', 300, -1.7, 2.9", "'<I8', 2^64", "'<I8', 0/0", "'<I8', 1/0", "'<i8', -1/0", "'<i8', -2^64", "'<I8', 2^63 + 4096", "'>l', 9007199254740993"].map(pack),
    // Numeric strings as Lua 5.1 reads them (hex, spaces, exponents, inf, NaN, cut at a NUL).
    ...["'>i >i >i >i', '0x10', ' 12 ', '1e3', '12\\0zz'", "'>d >d >f', '\\t-0x1.8p1\\n', 'INFINITY', '1e400'", "'>i', ''", "'>i', '1 2'", "'>d', '0x'"].map(pack),
    // Floats and doubles.
    ...["'<f >f <d >d', 1.5, 1.5, 1.5, 1.5", "'f d', 0.1, 0.1", "'f', 1e300", "'f', -1e-50", "'d', -1/0"].map(pack),
    // Strings: c (n bytes; c0 the whole string), s (zero-terminated), embedded zeros, numbers as 5.1 prints them.
    ...["'c3 c0 s c', 'abcdef', 'xy', 'q', 'zz'", "'c3', 'a\\0bc'", "'s', 'a\\0b'", "'c0 c0 c0 c0', 1.5, 5, 10/2, 2^53", "'c0', string.rep('x', 100000)"].map(pack),
    // Alignment: '!' alone is 8, '!n' caps it; c and s are not aligned; x is a zero byte.
    ...["'!b h b l b d', 1, 2, 3, 4, 5, 6", "'!4 b i3 b i5', 1, 2, 3, 4", "'!1 b i', 1, 2", "'!2 b i', 1, 2", "'!b c3 b s b', 1, 'abc', 2, 'de', 3", "'!b x h', 1, 2", "'<>! '", "'b\\0z', 1"].map(pack),
    // Unpacking: values and the position after them.
    ...["'<i8', struct.pack('<i8', 2^62)", "'<h >h <H >H', '\\255\\254\\255\\254\\255\\254\\255\\254'", "'<i4 <I4 >i4 >I4', struct.pack('<i4 <I4 >i4 >I4', -5, 4294967295, -2147483648, 123456789)"].map(unpack),
    ...["'<l', string.rep('\\255', 7) .. '\\127'", "'<L', string.rep('\\255', 8)", "'<i9 >i9', '\\128' .. string.rep('\\0', 8) .. '\\128' .. string.rep('\\0', 8)", "'<i16 <I16', string.rep('\\255', 32)", "'i0', ''"].map(unpack),
    ...["'!b h b l b d', struct.pack('!b h b l b d', 1, 2, 3, 4, 5, 6)", "'>!4 b i3 b i5', struct.pack('>!4 b i3 b i5', 1, -2, 3, -4)", "'<f <d', struct.pack('<f <d', 0.1, 3.99)"].map(unpack),
    ...["'>I2 c0 >d', struct.pack('>I2 c0 >d', 5, 'hello', 3.25)", "'c1 c0', '3abc'", "'b x c0', '\\2zab'", "'s s', 'ab\\0cd\\0'", "'xxb', 'abc'"].map(unpack),
    // Lua 5.1 numbers: what unpacks is a double, printed with 14 digits and replied as C casts it.
    ...["'<L'", "'<l'", "'<I6'", "'b'", "'<f'"].map((f) => run(`return tostring(struct.unpack(${f}, string.rep('\\255', 7) .. 'x'))`)),
    run("return {tostring(struct.unpack('<d', struct.pack('<d', 1e14))), tostring(struct.unpack('<l', struct.pack('<l', 99999999999999))), (struct.unpack('<d', struct.pack('<d', 7))) .. ''}"),
    // Positions: from 1; 0 is refused, a negative one wraps (C's size_t).
    ...["'b', 'abc', 2", "'b', 'abc', 2.9", "'b', 'abc', '2'", "'b', 'abc', nil", "'', 'abc', -1", "'', 'abc', 10", "'b', 'abc', 4", "'b', 'abc', 0", "'b', 'abc', -1", "' ', 'abc', 10", "'b', 'abc', 2^70", "'b', 'abc', 'x'"].map(unpack),
    // Sizes.
    ...['', 'bBhHlLTiIfdx', '!bh', '!bl', '!4 bd', '!8 b i3 b i5 b i6 b i16 b i32', 'c10', 'z', '5', 'b\\0i', 'c2147483647'].map(size),
    ...['s', 'c0', '?', '!3', '!0', 'i33', 'i99999999999'].map(size),
    run('return struct.size(5)'),
    // Errors: the format, missing and wrong arguments, data too short, c0 without a size, pcall's '?' and a local's name.
    ...["'z', 1", "'\\255'", "'!3 i', 1", "", "'i'", "'ii', 1", "'i', 'x'", "'i', {}", "'c', {}", "'c2', 'a'", "'s'", "'b', true"].map(pack),
    ...["'i', 'ab'", "'c0', 'ab'", "'x c0', 'abc'", "'s', 'ab'", "'z', 'ab'", "'z', 'ab', 5", "'b'", "", "{}, 'a'", "'b', {}", "1, '\\1'"].map(unpack),
    run('return struct.size()'),
    run("return {pcall(struct.pack, 'z')}"),
    run("local u = struct.unpack return u('b')"),
    run('return struct:size()'),
    // Lua 5.1's 8,000 values a C function may hold.
    run("return #{struct.unpack(string.rep('b', 7997), string.rep('a', 7997))}"),
    run("return #{struct.unpack(string.rep('b', 7998), string.rep('a', 7998))}"),
    // Read-only, as the other libraries.
    run('struct.x = 1'),
    run("rawset(struct, 'x', 1)"),
    run('return struct.nope'),
    // In a function library's functions, not while the library loads.
    ['FUNCTION', 'LOAD', 'REPLACE', "#!lua name=structlib\nredis.register_function('st', function(keys, args) return {struct.pack('>i2', args[1]), struct.size('!8 b d')} end)"],
    ['FCALL', 'st', '0', '258'],
    ['FUNCTION', 'LOAD', "#!lua name=structload\nlocal x = struct.pack('b', 1)"],
    ['FUNCTION', 'DELETE', 'structlib'],
  ];
  const { depot: d, redis: r } = await sideBySide(servers.depot.port, servers.redis.port, lines);
  assert.deepEqual(d, r);
});

test("redis.acl_check_cmd answers what the script's user may run, keys and channels included, as Redis does", async () => {
  const check = (args: string) => ['EVAL', `return redis.acl_check_cmd(${args})`, '0'];
  const lines: string[][] = [
    ['ACL', 'LOG', 'RESET'],
    ['ACL', 'SETUSER', 'checked', 'on', 'nopass', '+eval', '+fcall', '+get', '+set', '+mget', '+publish', '+config|get', '~k*', '%R~r*', '&ch*'],
    ['FUNCTION', 'LOAD', 'REPLACE', "#!lua name=acllib\nredis.register_function('may', function(keys, args) return redis.acl_check_cmd(unpack(args)) end)"],
    check("'flushall'"),
    ['AUTH', 'checked', 'x'],
    ...["'get', 'k1'", "'GET', 'k1'", "'get', 'z1'", "'set', 'k1', 'v'", "'set', 'r1', 'v'", "'get', 'r1'", "'mget', 'k1', 'k2', 'z3'", "'get'", "'get', 'k1', 'extra'"].map(check),
    ...["'del', 'k1'", "'config'", "'config', 'get', 'x'", "'config', 'set', 'x', 'y'", "'publish', 'ch1', 'x'", "'publish', 'zz', 'x'", "'auth', 'a', 'b'"].map(check),
    // Errors: no such command or subcommand, no arguments, arguments that are not strings or numbers.
    ...["'nosuch'", "'config', 'nosub'", "1", '', "'get', {}"].map(check),
    ['EVAL', 'return type(redis.acl_check_cmd(\'get\', \'k1\'))', '0'],
    ['EVAL', 'redis.acl_check_cmd = 1', '0'],
    ['FCALL', 'may', '0', 'get', 'k1'],
    ['FCALL', 'may', '0', 'get', 'zz'],
    ['FCALL', 'may', '0', 'nosuch'],
  ];
  try {
    const { depot: d, redis: r } = await sideBySide(servers.depot.port, servers.redis.port, lines);
    assert.deepEqual(d, r);
    // A refusal it reports is not an ACL LOG entry (entries would differ in their times).
    const log = await sideBySide(servers.depot.port, servers.redis.port, [['ACL', 'LOG']]);
    assert.deepEqual(log.depot, log.redis);
  } finally {
    await sideBySide(servers.depot.port, servers.redis.port, [
      ['ACL', 'DELUSER', 'checked'],
      ['FUNCTION', 'DELETE', 'acllib'],
    ]);
  }
});

test('RESP3 replies seen by a script after redis.setresp(3), and a script replying to a RESP3 client', async () => {
  const lines: string[][] = [
    ['HELLO', '3'],
    ['FLUSHALL'],
    ['HSET', 'h', 'f', 'v'],
    ['EVAL', "redis.setresp(3) local m = redis.call('hgetall', 'h') return m['map']['f']", '0'],
    ['EVAL', "redis.setresp(3) return redis.call('hgetall', 'h')", '0'],
    ['EVAL', "redis.setresp(3) return tostring(redis.call('get', 'nokey'))", '0'],
    ['EVAL', "redis.setresp(3) return redis.call('exists', 'h')", '0'],
    ['EVAL', 'return true', '0'],
    ['EVAL', 'return false', '0'],
    ['EVAL', "return {double = 1.5}", '0'],
    ['EVAL', "return {map = {a = 1}}", '0'],
  ];
  const { depot: d, redis: r } = await sideBySide(servers.depot.port, servers.redis.port, lines);
  // The HELLO reply names the server and its version; everything after it must match.
  assert.deepEqual(d.slice(1), r.slice(1));
});

test("a script's calls are checked against its user's ACL, with Redis's texts", async () => {
  const lines: string[][] = [
    ['ACL', 'SETUSER', 'lim', 'on', 'nopass', '+eval', '+get', '~k*'],
    ['AUTH', 'lim', 'x'],
    ['EVAL', "return redis.call('set', 'kk', 'b')", '0'],
    ['EVAL', "return redis.call('get', 'zz')", '0'],
    ['EVAL', "return redis.call('get', 'kk')", '0'],
  ];
  try {
    const { depot: d, redis: r } = await sideBySide(servers.depot.port, servers.redis.port, lines);
    assert.deepEqual(d, r);
  } finally {
    await sideBySide(servers.depot.port, servers.redis.port, [['ACL', 'DELUSER', 'lim']]);
  }
});

test('binary arguments and values go through a script unchanged', async () => {
  const c = await RespClient.open(servers.depot.port);
  try {
    const bytes = Buffer.from([0, 1, 0x7f, 0x80, 0xfe, 0xff, 13, 10]).toString('latin1');
    const reply = await c.call('EVAL', "redis.call('set', KEYS[1], ARGV[1]) return {redis.call('get', KEYS[1]), #ARGV[1]}", '1', 'bin', bytes);
    assert.deepEqual(reply, { t: 'array', v: [{ t: 'bulk', v: bytes }, { t: 'int', v: '8' }] });
    assert.deepEqual(await c.call('GET', 'bin'), { t: 'bulk', v: bytes });
    const long = 'x'.repeat(100_000) + bytes;
    assert.deepEqual(await c.call('EVAL', 'return ARGV[1]', '0', long), { t: 'bulk', v: long });
  } finally {
    c.close();
  }
});

test('a runaway recursion and a table holding itself get errors, and the server serves on', async () => {
  const c = await RespClient.open(servers.depot.port);
  try {
    const overflow = await c.call('EVAL', 'local function f() return f() + 1 end return f()', '0');
    assert.match(show(overflow), /^error:"ERR user_script:1: stack overflow/);
    // Redis sends about 8,000 nested arrays ending in this error; Depot sends the error alone.
    assert.deepEqual(await c.call('EVAL', 'local t = {} t[1] = t return t', '0'), { t: 'error', v: 'ERR reached lua stack limit' });
    assert.deepEqual(await c.call('EVAL', "return {1, {2, {'x'}}}", '0'), {
      t: 'array',
      v: [{ t: 'int', v: '1' }, { t: 'array', v: [{ t: 'int', v: '2' }, { t: 'array', v: [{ t: 'bulk', v: 'x' }] }] }],
    });
    assert.deepEqual(await c.call('PING'), { t: 'simple', v: 'PONG' });
  } finally {
    c.close();
  }
});

test('ioredis: defineCommand runs by EVALSHA and loads the script itself after SCRIPT FLUSH', async () => {
  const r = new Redis({ port: servers.depot.port, host: '127.0.0.1', lazyConnect: true });
  await r.connect();
  try {
    // Redlock's release: delete the lock only if this client still holds it.
    r.defineCommand('release', {
      numberOfKeys: 1,
      lua: "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end",
    });
    const release = (key: string, token: string) => (r as unknown as { release(k: string, t: string): Promise<number> }).release(key, token);
    await r.set('lock', 'mine', 'PX', 10_000);
    assert.equal(await release('lock', 'theirs'), 0);
    assert.equal(await r.get('lock'), 'mine');
    await r.script('FLUSH');
    assert.equal(await release('lock', 'mine'), 1);
    assert.equal(await r.exists('lock'), 0);
    // A fixed-window rate limiter.
    const limiter = "local n = redis.call('incr', KEYS[1]) if n == 1 then redis.call('pexpire', KEYS[1], ARGV[1]) end return n <= tonumber(ARGV[2]) and 1 or 0";
    const allowed: unknown[] = [];
    for (let i = 0; i < 5; i++) allowed.push(await r.eval(limiter, 1, 'rate:u1', '60000', '3'));
    assert.deepEqual(allowed, [1, 1, 1, 0, 0]);
    assert.ok((await r.pttl('rate:u1')) > 0);
    await assert.rejects(r.eval("return redis.call('incr', 'lock2') .. redis.call('hget', 'lock2', 'x')", 0), /WRONGTYPE|ERR/);
  } finally {
    r.disconnect();
  }
});

test('node-redis: scriptLoad, evalSha and eval with keys and arguments', async () => {
  const c = createClient({ socket: { port: servers.depot.port, host: '127.0.0.1' } });
  await c.connect();
  try {
    const sha = await c.scriptLoad("return redis.call('hincrby', KEYS[1], ARGV[1], ARGV[2])");
    assert.equal(await c.evalSha(sha, { keys: ['counters'], arguments: ['a', '5'] }), 5);
    assert.equal(await c.evalSha(sha, { keys: ['counters'], arguments: ['a', '2'] }), 7);
    assert.deepEqual(await c.scriptExists([sha, '0'.repeat(40)]), [1, 0]);
    assert.deepEqual(await c.eval('return {KEYS[1], ARGV[1]}', { keys: ['k'], arguments: ['a'] }), ['k', 'a']);
  } finally {
    await c.quit();
  }
});

test('redis-cli --eval runs a script file with keys and arguments', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'depot-eval-'));
  try {
    const file = join(dir, 'push.lua');
    writeFileSync(file, "redis.call('rpush', KEYS[1], unpack(ARGV))\nreturn redis.call('llen', KEYS[1])\n");
    const { stdout } = await run('redis-cli', ['-p', String(servers.depot.port), '--eval', file, 'cli:list', ',', 'a', 'b', 'c'], { timeout: 20_000 });
    assert.equal(stdout.trim(), '3');
    const { stdout: range } = await run('redis-cli', ['-p', String(servers.depot.port), 'lrange', 'cli:list', '0', '-1'], { timeout: 20_000 });
    assert.equal(range.trim(), 'a\nb\nc');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a script is atomic: a WATCH in another client sees its writes as one, MULTI queues EVAL', async () => {
  const a = await RespClient.open(servers.depot.port);
  const b = await RespClient.open(servers.depot.port);
  try {
    await a.call('SET', 'w', '1');
    await a.call('WATCH', 'w');
    await b.call('EVAL', "redis.call('incr', 'w') redis.call('set', 'w2', 'x') return 1", '0');
    await a.call('MULTI');
    await a.call('GET', 'w');
    assert.deepEqual(await a.call('EXEC'), { t: 'null' });
    await a.call('MULTI');
    assert.deepEqual(await a.call('EVAL', "return redis.call('incr', 'w')", '0'), { t: 'simple', v: 'QUEUED' });
    assert.deepEqual(await a.call('EXEC'), { t: 'array', v: [{ t: 'int', v: '3' }] });
  } finally {
    a.close();
    b.close();
  }
});

test('TIME reads the clock to the microsecond, inside a script and EXEC too, on both servers', async () => {
  // Each server: a script's two TIMEs around a busy loop, then two TIMEs in one EXEC, each
  // reply as [seconds, microseconds]; where `now` stands still (expiry), TIME does not.
  const script = "local a = redis.call('TIME') local n = 0 for i = 1, 2000000 do n = n + i end local b = redis.call('TIME') return {a[1], a[2], b[1], b[2]}";
  const micros = (r: Reply, at: number) => {
    const v = (r as { v: { v: string }[] }).v;
    return Number(v[at]!.v) * 1e6 + Number(v[at + 1]!.v);
  };
  for (const port of [servers.depot.port, servers.redis.port]) {
    const c = await RespClient.open(port);
    try {
      const seen: number[] = [];
      for (let i = 0; i < 4; i++) {
        const r = await c.call('EVAL', script, '0');
        const [a, b] = [micros(r, 0), micros(r, 2)];
        assert.ok(b > a, `${port}: TIME advanced inside the script (${a} then ${b})`);
        seen.push(a, b);
      }
      await c.call('MULTI');
      await c.call('TIME');
      await c.call('TIME');
      const exec = (await c.call('EXEC')) as { v: Reply[] };
      const [x, y] = exec.v.map((r) => micros(r, 0));
      assert.ok(y! >= x!, `${port}: EXEC's TIMEs in order`);
      seen.push(x!, y!);
      for (const us of seen) assert.ok(Math.abs(us / 1000 - Date.now()) < 60_000, `${port}: ${us} is the clock`);
      assert.ok(seen.some((us) => us % 1000 !== 0), `${port}: microseconds, not milliseconds times 1000`);
    } finally {
      c.close();
    }
  }
});

test('a script that runs past busy-reply-threshold without writing is stopped; the server serves on', async () => {
  const c = await RespClient.open(servers.depot.port);
  try {
    assert.deepEqual(await c.call('CONFIG', 'SET', 'busy-reply-threshold', '200'), { t: 'simple', v: 'OK' });
    assert.deepEqual(await c.call('CONFIG', 'GET', 'lua-time-limit'), { t: 'array', v: [{ t: 'bulk', v: 'lua-time-limit' }, { t: 'bulk', v: '200' }] });
    const reply = await c.call('EVAL', 'local i = 0 while true do i = i + 1 end', '0');
    assert.equal(reply.t, 'error');
    assert.match(show(reply), /Script killed after running for busy-reply-threshold \(200 ms\)/);
    assert.deepEqual(await c.call('PING'), { t: 'simple', v: 'PONG' });
    assert.deepEqual(await c.call('EVAL', 'return 1', '0'), { t: 'int', v: '1' });
    await c.call('CONFIG', 'SET', 'busy-reply-threshold', '5000');
  } finally {
    c.close();
  }
});

test("a script's writes come back after SIGKILL (appendfsync always)", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'depot-eval-kill-'));
  try {
    let server = await startDepot(['--data', dir, '--fsync', 'always']);
    let c = await RespClient.open(server.port);
    const script = "for i = 1, 100 do redis.call('rpush', KEYS[1], i) end redis.call('set', KEYS[2], redis.call('llen', KEYS[1])) return redis.call('spop', KEYS[3])";
    await c.call('SADD', 'pool', 'a', 'b', 'c');
    const popped = await c.call('EVAL', script, '3', 'list', 'count', 'pool');
    assert.equal(popped.t, 'bulk');
    c.close();
    await server.kill();
    server = await startDepot(['--data', dir, '--fsync', 'always']);
    c = await RespClient.open(server.port);
    try {
      assert.deepEqual(await c.call('LLEN', 'list'), { t: 'int', v: '100' });
      assert.deepEqual(await c.call('GET', 'count'), { t: 'bulk', v: '100' });
      // SPOP's choice was logged as its effect: the same member is gone after the replay.
      const members = await c.call('SMEMBERS', 'pool');
      assert.equal(members.t, 'array');
      const left = (members as { v: Array<{ v: string }> }).v.map((m) => m.v).sort();
      assert.equal(left.length, 2);
      assert.ok(!left.includes((popped as { v: string }).v));
    } finally {
      c.close();
      await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("redis.log writes to the node's log at the matching level", async () => {
  // Tests run nodes with --log-level warn: LOG_WARNING shows, LOG_NOTICE does not.
  const node = await startNode();
  try {
    const c = await RespClient.open(node.ports['redis']!);
    try {
      await c.call('EVAL', "redis.log(redis.LOG_NOTICE, 'quiet') redis.log(redis.LOG_WARNING, 'hello', 'from', 42, {}, 'lua') return 1", '0');
    } finally {
      c.close();
    }
    await eventually(() => node.stdout().includes('hello from 42 lua'), 'the line in the log');
    assert.match(node.stdout(), /"script":true[^\n]*"msg":"hello from 42 lua"/);
    assert.doesNotMatch(node.stdout(), /quiet/);
  } finally {
    await node.stop();
    node.cleanup();
  }
});
