// Lua run once in each new state, before any script. Redis embeds Lua 5.1; Depot runs 5.4, so
// PRELUDE puts back the 5.1 names scripts use (unpack, loadstring, table.getn, math.pow, ...),
// adds LuaBitOp's `bit` library and removes what a sandbox must not have (os, io, debug,
// require, files). It returns the message handler every script runs under (Redis's
// __redis__err__handler): it turns a raised value into an error table and records where.
export const PRELUDE = String.raw`
local getinfo = debug.getinfo
-- 5.4's own, kept before the 5.1 versions below replace them.
local log, floor, ceil, tointeger, mininteger = math.log, math.floor, math.ceil, math.tointeger, math.mininteger

-- C's cast of a double to int64 on x86-64, as 5.1 turns numbers into integer arguments:
-- towards zero; NaN and what is out of range INT64_MIN.
local function cast(x)
  if x ~= x or x >= 2^63 or x < -2^63 then return mininteger end
  return tointeger(x >= 0 and floor(x) or ceil(x))
end

unpack = table.unpack
table.getn = function(t) return #t end
table.maxn = function(t)
  local n = 0
  for k in pairs(t) do if type(k) == 'number' and k > n then n = k end end
  return n
end
table.foreach = function(t, f) for k, v in pairs(t) do local r = f(k, v) if r ~= nil then return r end end end
table.foreachi = function(t, f) for i = 1, #t do local r = f(i, t[i]) if r ~= nil then return r end end end
math.pow = function(x, y) return x ^ y end
math.mod = math.fmod
math.atan2 = math.atan
math.log10 = function(x) return log(x, 10) end
math.ldexp = function(m, e) return m * 2.0 ^ e end
math.frexp = function(x)
  if x == 0 or x ~= x or x == math.huge or x == -math.huge then return x, 0 end
  local e = floor(log(math.abs(x), 2)) + 1
  local m = x / 2.0 ^ e
  if math.abs(m) >= 1 then m, e = m / 2, e + 1 elseif math.abs(m) < 0.5 then m, e = m * 2, e - 1 end
  return m, e
end
math.cosh = function(x) return (math.exp(x) + math.exp(-x)) / 2 end
math.sinh = function(x) return (math.exp(x) - math.exp(-x)) / 2 end
math.tanh = function(x) local a, b = math.exp(x), math.exp(-x) return (a - b) / (a + b) end
string.gfind = string.gmatch
gcinfo = function() return floor(collectgarbage('count')) end

-- Lua 5.1's string.format reads the argument of an integer conversion (%d %i %o %u %x %X %c)
-- as a number and casts it to an integer as C does; 5.4 refuses one with a fraction ("number has
-- no integer representation"), and scripts format quotients such as now / 1000 that way. The
-- fast path is 5.4's own format; only a call it refuses is looked at again, its fractional
-- arguments of integer conversions cast as x86-64 casts (NaN and out of range: INT64_MIN).
do
  local format, find, pack, unpack, type, tonumber, mtype, lua_pcall = string.format, string.find, table.pack, table.unpack, type, tonumber, math.type, pcall
  -- args: format's own, the format string first.
  local function cast_fractions(args)
    local fmt, at, n = args[1], 1, 1
    while true do
      local _, e, conversion = find(fmt, '%%[-+ #0]*%d*%.?%d*(.)', at)
      if not e then return end
      at = e + 1
      if conversion ~= '%' then
        n = n + 1
        if find('diouxXc', conversion, 1, true) then
          local x = tonumber(args[n])
          if mtype(x) == 'float' then args[n] = cast(x) end
        end
      end
    end
  end
  string.format = function(...)
    local ok, s = lua_pcall(format, ...)
    if ok then return s end
    local args = pack(...)
    if type(args[1]) == 'string' then cast_fractions(args) end
    local out = format(unpack(args, 1, args.n))
    return out
  end
end

-- Lua 5.1 reads the integer arguments of the string and table functions, unpack, select and
-- math.random (luaL_checkinteger, and luaL_checkint, which keeps the low 32 bits) by casting
-- the number; 5.4 refuses a number with a fraction, so a script passing a quotient such as
-- #s / 2 would fail here and not in Redis. Each wrapper casts such arguments and calls 5.4's
-- function (not in tail position: an argument error names the function as the script called
-- it); integers pass unchanged. Where 5.1 answered what 5.4 refuses (table.insert and
-- table.remove out of bounds, math.random(0)) or ignored an argument 5.4 reads (string.rep's
-- separator, math.log's base), the wrappers do as 5.1 did. math.floor and math.ceil give
-- floats, as every 5.1 number is one (so 2^60 prints as 1.1529215046068e+18, and -0.5 rounds up
-- to -0).
do
  local type, tonumber, mtype, rawget, rawset, error = type, tonumber, math.type, rawget, rawset, error
  local sub, byte, char, rep, sfind, match, gsub = string.sub, string.byte, string.char, string.rep, string.find, string.match, string.gsub
  local concat, insert, remove, tunpack, lua_select, random = table.concat, table.insert, table.remove, table.unpack, select, math.random
  local function pass(...) return ... end
  -- The integer 5.1's luaL_checkinteger reads from x: a number or numeric string, a fraction cast
  -- away; nil for anything else, which is passed on for 5.4's function to refuse with its message.
  local function toint(x)
    if mtype(x) == 'integer' then return x end
    local n = x
    if type(n) == 'string' then n = tonumber(n) end
    local kind = mtype(n)
    if kind == 'integer' then return n end
    if kind == 'float' then return tointeger(n) or cast(n) end
    return nil
  end
  -- A position in a string, kept within what a size_t holds on wasm32, where 5.4 would wrap
  -- 2^53 to 0 and read before the string (no string comes near 2^31 bytes).
  local function at(x)
    local n = toint(x)
    if n == nil then return x end
    if n > 0x7fffffff then return 0x7fffffff elseif n < -0x7fffffff then return -0x7fffffff end
    return n
  end
  -- luaL_checkint: the same integer, then its low 32 bits, signed.
  local function i32(x)
    local n = toint(x)
    if n == nil then return x end
    if n >= -0x80000000 and n < 0x80000000 then return n end
    return ((n + 0x80000000) & 0xffffffff) - 0x80000000
  end
  -- An absent argument stays absent ("got no value", not "got nil"); a nil optional one may be
  -- left out, which the functions read the same way.
  string.sub = function(...)
    local s, i, j = ...
    local r
    -- The usual call, integers in range, without the calls to at().
    if mtype(i) == 'integer' and i <= 0x7fffffff and i >= -0x7fffffff then
      if j == nil then r = sub(s, i) return r end
      if mtype(j) == 'integer' and j <= 0x7fffffff and j >= -0x7fffffff then r = sub(s, i, j) return r end
    end
    if j ~= nil then r = sub(s, at(i), at(j)) elseif i ~= nil then r = sub(s, at(i)) else r = sub(...) end
    return r
  end
  string.byte = function(...)
    local s, i, j = ...
    if j == nil and mtype(i) == 'integer' and i <= 0x7fffffff and i >= -0x7fffffff then return pass(byte(s, i)) end
    if j ~= nil then return pass(byte(s, at(i), at(j))) elseif i ~= nil then return pass(byte(s, at(i))) end
    return pass(byte(...))
  end
  string.char = function(...)
    local args, n = { ... }, lua_select('#', ...)
    for k = 1, n do args[k] = i32(args[k]) end
    local r = char(tunpack(args, 1, n))
    return r
  end
  string.rep = function(...)
    local s, count = ...
    local r
    if count ~= nil then r = rep(s, i32(count)) else r = rep(...) end
    return r
  end
  string.find = function(...)
    local s, p, init, plain = ...
    if init ~= nil then return pass(sfind(s, p, at(init), plain)) end
    return pass(sfind(...))
  end
  string.match = function(...)
    local s, p, init = ...
    if init ~= nil then return pass(match(s, p, at(init))) end
    return pass(match(...))
  end
  string.gsub = function(...)
    local s, p, repl, n = ...
    if n ~= nil then return pass(gsub(s, p, repl, i32(n))) end
    return pass(gsub(...))
  end
  table.concat = function(...)
    local t, sep, i, j = ...
    local r
    if j ~= nil then r = concat(t, sep, i32(i), i32(j)) elseif i ~= nil then r = concat(t, sep, i32(i)) else r = concat(...) end
    return r
  end
  table.insert = function(...)
    local n, t, pos, v = lua_select('#', ...), ...
    if n ~= 3 or type(t) ~= 'table' then insert(...) return end
    pos = i32(pos)
    local e = #t + 1
    if mtype(pos) ~= 'integer' or (pos >= 1 and pos <= e) then insert(t, pos, v) return end
    -- Out of 5.4's bounds: 5.1 grows the array to pos, moving up what is at pos and after.
    if pos > e then e = pos end
    for k = e, pos + 1, -1 do rawset(t, k, rawget(t, k - 1)) end
    rawset(t, pos, v)
  end
  table.remove = function(...)
    local t, pos = ...
    if type(t) ~= 'table' then local r = remove(...) return r end
    local e = #t
    if pos == nil then pos = e else pos = i32(pos) end
    if mtype(pos) ~= 'integer' then local r = remove(t, pos) return r end
    -- Outside 1..#t 5.1 removes nothing and returns nothing.
    if pos < 1 or pos > e then return end
    local r = remove(t, pos)
    return r
  end
  unpack = function(...)
    local t, i, j = ...
    if j ~= nil then return pass(tunpack(t, i32(i), i32(j))) elseif i ~= nil then return pass(tunpack(t, i32(i))) end
    return pass(tunpack(...))
  end
  select = function(...)
    local n = ...
    if mtype(n) == 'float' then return pass(lua_select(i32(n), lua_select(2, ...))) end
    return pass(lua_select(...))
  end
  math.random = function(...)
    local n, m, u = lua_select('#', ...), ...
    if n == 0 then return random() end
    m = i32(m)
    if n == 1 then
      if mtype(m) == 'integer' and m < 1 then error("bad argument #1 to 'random' (interval is empty)", 2) end
      local r = random(m)
      return r
    end
    u = i32(u)
    if n == 2 and mtype(m) == 'integer' and mtype(u) == 'integer' and m > u then error("bad argument #2 to 'random' (interval is empty)", 2) end
    local r = random(m, u, lua_select(3, ...))
    return r
  end
  math.log = function(...)
    local x = ...
    local r
    if x == nil then r = log(...) else r = log(x) end
    return r
  end
  -- 5.1 reads numbers with strtod: "inf", "infinity" and "nan" are numbers too.
  _G.tonumber = function(...)
    local r = tonumber(...)
    local v, base = ...
    if r ~= nil or type(v) ~= 'string' or base ~= nil then return r end
    local sign, word = match(v:lower(), '^[ \t\n\v\f\r]*([+-]?)(%a+)[ \t\n\v\f\r]*$')
    if word == 'inf' or word == 'infinity' then return sign == '-' and -1 / 0 or 1 / 0 end
    if word == 'nan' then return sign == '-' and 0 / 0 or -(0 / 0) end
    return nil
  end
  -- x * 1.0 keeps a -0 (x + 0.0 would not).
  math.floor = function(...)
    local r = floor(...) * 1.0
    if r == 0 and 1 / ((...) * 1.0) < 0 then return -0.0 end
    return r
  end
  math.ceil = function(...)
    local r = ceil(...) * 1.0
    if r == 0 then
      local v = (...) * 1.0
      if v < 0 or 1 / v < 0 then return -0.0 end
    end
    return r
  end
end

-- Redis 7's pcall (luaRedisPcall): a caught error table comes back as its err field, so that
-- pcall(redis.call, ...) gives the message. Called with nothing, it calls its own placeholder.
do
  local lua_pcall, select, type = pcall, select, type
  local function caught(ok, ...)
    if ok then return ok, ... end
    local e = ...
    if type(e) == 'table' then
      local message = e.err
      if type(message) == 'string' or type(message) == 'number' then return false, message end
    end
    return false, e
  end
  pcall = function(...)
    if select('#', ...) == 0 then return false, 'attempt to call a boolean value' end
    return caught(lua_pcall(...))
  end
end

-- LuaBitOp: operands wrap to 32 bits, results are signed 32-bit numbers.
local function tobit(x)
  local n = tointeger(floor(x) % 0x100000000) or 0
  if n >= 0x80000000 then n = n - 0x100000000 end
  return n
end
local function u32(x) return tobit(x) & 0xffffffff end
local function fold(op)
  return function(a, ...)
    local r = u32(a)
    for i = 1, select('#', ...) do r = op(r, u32((select(i, ...)))) end
    return tobit(r)
  end
end
bit = {
  tobit = tobit,
  bnot = function(x) return tobit(~u32(x)) end,
  band = fold(function(a, b) return a & b end),
  bor = fold(function(a, b) return a | b end),
  bxor = fold(function(a, b) return a ~ b end),
  lshift = function(x, n) return tobit(u32(x) << (u32(n) & 31)) end,
  rshift = function(x, n) return tobit(u32(x) >> (u32(n) & 31)) end,
  -- A negative 32-bit value is negative in 64 bits too: the ones above bit 31 shift in.
  arshift = function(x, n) return tobit(tobit(x) >> (u32(n) & 31)) end,
  rol = function(x, n) n = u32(n) & 31 local v = u32(x) return tobit((v << n) | (v >> (32 - n))) end,
  ror = function(x, n) n = u32(n) & 31 local v = u32(x) return tobit((v >> n) | (v << (32 - n))) end,
  bswap = function(x)
    local v = u32(x)
    return tobit(((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >> 8) & 0xff00) | (v >> 24))
  end,
  tohex = function(x, n)
    n = n or 8
    local upper = n < 0
    if upper then n = -n end
    if n > 8 then n = 8 end
    local s = string.format(upper and '%08X' or '%08x', u32(x))
    return s:sub(9 - n)
  end,
}

os, io, debug, package, require, dofile, loadfile, print, utf8 = nil, nil, nil, nil, nil, nil, nil, nil, nil

-- Where the error was raised: the first frame above the handler that is the script's own (not a
-- C function such as error() or redis.call, nor the prelude's __index and __newindex).
return function(err)
  local level = 2
  local i = getinfo(level, 'nSl')
  while i and (i.what == 'C' or i.source == '=prelude') do
    level = level + 1
    i = getinfo(level, 'nSl')
  end
  if type(err) == 'string' then
    -- Raised by a C function the prelude called (its string.format): at the script's line, as
    -- when the script calls it itself.
    local _, e = err:find('^prelude:%d+: ')
    if e then err = (i and (i.short_src .. ':' .. i.currentline .. ': ') or '') .. err:sub(e + 1) end
  end
  if type(err) ~= 'table' then err = { err = 'ERR ' .. tostring(err) } end
  if i then
    err.source = i.source
    err.line = i.currentline
  end
  return err
end
`;

// Run once `redis`, `cjson`, `cmsgpack` and `struct` are in place: makes the globals and the libraries read-only, as
// Redis 7 does, so that no script can change what the next one finds (`redis = nil` would break
// every later script). Stock Lua has no read-only tables: scripts get a proxy of the globals as
// their _ENV (returned here, with the function making proxies), the libraries are proxies,
// `rawset` refuses proxies, and reading an undefined global is an error. Chunk name '=prelude'
// too: the message handler skips it.
export const SEAL = String.raw`
local G = _G
local next, error, tostring, select, setmetatable, getmetatable, real_rawset, real_load = next, error, tostring, select, setmetatable, getmetatable, rawset, load
local readonly = setmetatable({}, { __mode = 'k' })
local function deny() error('Attempt to modify a readonly table', 2) end
local function protect(t)
  local proxy = setmetatable({}, {
    __index = t,
    __newindex = deny,
    __len = function() return #t end,
    __pairs = function() return next, t, nil end,
    __metatable = false,
  })
  readonly[proxy] = true
  return proxy
end
for _, name in ipairs({ 'string', 'table', 'math', 'coroutine', 'bit', 'cjson', 'cmsgpack', 'struct', 'redis' }) do
  real_rawset(G, name, protect(G[name]))
end
local strings = getmetatable('')
strings.__index = G.string
strings.__metatable = protect(strings)
local env = protect(G)
real_rawset(G, '_G', env)
real_rawset(G, 'rawset', function(t, k, v)
  -- Redis's message has no position here (level 0).
  if readonly[t] then error('Attempt to modify a readonly table', 0) end
  return real_rawset(t, k, v)
end)
real_rawset(G, 'load', function(chunk, name, _, e) return real_load(chunk, name, 't', e or env) end)
real_rawset(G, 'loadstring', function(s, name) return real_load(s, name, 't', env) end)
local function missing(_, k) error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2) end
setmetatable(G, { __index = missing, __newindex = deny, __metatable = false })
-- What Redis's getmetatable shows: nil for a library (a plain table there), and for _G its
-- metatable, read-only, with the __index that refuses undefined globals.
local globals_meta = protect({ __index = missing })
real_rawset(G, 'getmetatable', function(...)
  if select('#', ...) == 0 then error("bad argument #1 to 'getmetatable' (value expected)", 2) end
  local o = ...
  if o == env then return globals_meta end
  if readonly[o] then return nil end
  return getmetatable(o)
end)
return env, protect
`;

// The _ENV of every function library (Redis's function_lua.c), run once per state with the
// sandbox's globals, its protect() and redis.register_function. While a library's code runs
// (FUNCTION LOAD) only register_function, log, the log levels and the version can be reached;
// when its functions run, the whole sandbox. They share the chunk's _ENV: the view switches.
// Returns the environment and the switch.
export const LIBRARY_ENV = String.raw`
local env, protect, register_function = ...
local setmetatable, error, tostring = setmetatable, error, tostring
local redis = env.redis
local function missing(_, k) error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2) end
local function api(t) return protect(setmetatable(t, { __index = missing })) end
local load_api = api({
  redis = api({
    register_function = register_function,
    log = redis.log,
    LOG_DEBUG = redis.LOG_DEBUG,
    LOG_VERBOSE = redis.LOG_VERBOSE,
    LOG_NOTICE = redis.LOG_NOTICE,
    LOG_WARNING = redis.LOG_WARNING,
    REDIS_VERSION = redis.REDIS_VERSION,
    REDIS_VERSION_NUM = redis.REDIS_VERSION_NUM,
  }),
})
local view = {
  __index = load_api,
  __newindex = function() error('Attempt to modify a readonly table', 2) end,
  __metatable = false,
}
return setmetatable({}, view), function(loading) view.__index = loading and load_api or env end
`;
