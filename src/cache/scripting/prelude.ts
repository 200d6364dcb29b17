// Lua run once in each new state, before any script. Redis embeds Lua 5.1; Depot runs 5.4, so
// PRELUDE puts back the 5.1 names scripts use (unpack, loadstring, table.getn, math.pow, ...),
// adds LuaBitOp's `bit` library and removes what a sandbox must not have (os, io, debug,
// require, files). It returns the message handler every script runs under (Redis's
// __redis__err__handler): it turns a raised value into an error table and records where.
export const PRELUDE = String.raw`
local getinfo = debug.getinfo

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
math.log10 = function(x) return math.log(x, 10) end
math.ldexp = function(m, e) return m * 2.0 ^ e end
math.frexp = function(x)
  if x == 0 or x ~= x or x == math.huge or x == -math.huge then return x, 0 end
  local e = math.floor(math.log(math.abs(x), 2)) + 1
  local m = x / 2.0 ^ e
  if math.abs(m) >= 1 then m, e = m / 2, e + 1 elseif math.abs(m) < 0.5 then m, e = m * 2, e - 1 end
  return m, e
end
math.cosh = function(x) return (math.exp(x) + math.exp(-x)) / 2 end
math.sinh = function(x) return (math.exp(x) - math.exp(-x)) / 2 end
math.tanh = function(x) local a, b = math.exp(x), math.exp(-x) return (a - b) / (a + b) end
string.gfind = string.gmatch
gcinfo = function() return math.floor(collectgarbage('count')) end

-- Lua 5.1's string.format reads the argument of an integer conversion (%d %i %o %u %x %X %c)
-- as a number and casts it to an integer as C does; 5.4 refuses one with a fraction ("number has
-- no integer representation"), and scripts format quotients such as now / 1000 that way. The
-- fast path is 5.4's own format; only a call it refuses is looked at again, its fractional
-- arguments of integer conversions cast as x86-64 casts (NaN and out of range: INT64_MIN).
do
  local format, find, pack, unpack, type, tonumber, mtype, lua_pcall = string.format, string.find, table.pack, table.unpack, type, tonumber, math.type, pcall
  local floor, ceil, tointeger, mininteger = math.floor, math.ceil, math.tointeger, math.mininteger
  local function cast(x)
    if x ~= x or x >= 2^63 or x < -2^63 then return mininteger end
    return tointeger(x >= 0 and floor(x) or ceil(x))
  end
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
  local n = math.tointeger(math.floor(x) % 0x100000000) or 0
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
