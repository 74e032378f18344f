-- Shared by the router's Redis scripts (prepended to each). Times are the Redis server's
-- clock in ms, so every process sees one clock. Numbers go back as strings: Redis turns a
-- Lua number into an integer.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local dep = KEYS[1]

local function num(v, d)
  local n = tonumber(v)
  if n == nil then return d end
  return n
end

-- The size of a bucket: the configured `cap`, else (-1) the limit a provider announced to any
-- process (field P..'L', set by the observe script), else -1 (no bucket).
local function cap_of(p, cap)
  if cap >= 0 then return cap end
  local learned = tonumber(redis.call('HGET', dep, p .. 'L'))
  if learned ~= nil and learned > 0 then return learned end
  return -1
end

-- A token bucket of `cap` units refilling at `cap` per minute (fields P..'l', P..'a', P..'c').
local function bucket(p, cap)
  cap = cap_of(p, cap)
  if cap < 0 then
    redis.call('HDEL', dep, p .. 'l', p .. 'a', p .. 'c')
    return nil
  end
  local f = redis.call('HMGET', dep, p .. 'l', p .. 'a', p .. 'c')
  local level, at, old = tonumber(f[1]), tonumber(f[2]), tonumber(f[3])
  if level == nil then
    level, at, old = cap, now, cap
  end
  if old ~= cap then level = level - (old - cap) end
  local dt = math.max(0, now - at)
  level = math.min(cap, level + dt * cap / 60000)
  return { p = p, cap = cap, level = level }
end

local function save(b)
  if b then redis.call('HSET', dep, b.p .. 'l', tostring(b.level), b.p .. 'a', now, b.p .. 'c', b.cap) end
end

local function share(b)
  if b == nil then return nil end
  if b.cap <= 0 then return 0 end
  return math.max(0, math.min(1, b.level / b.cap))
end

local function mean(key)
  local xs = redis.call('LRANGE', key, 0, -1)
  if #xs == 0 then return '' end
  local s = 0
  for _, x in ipairs(xs) do s = s + tonumber(x) end
  return tostring(s / #xs)
end

-- What the strategies rank by: in flight, headroom, latency means, ms left cooling.
local function snapshot(r, tk)
  local h = ''
  local a, b = share(r), share(tk)
  if a and b then h = tostring(math.min(a, b)) elseif a then h = tostring(a) elseif b then h = tostring(b) end
  local f = redis.call('HMGET', dep, 'in', 'st', 'un')
  local cool = 0
  local un = num(f[3], 0)
  if f[2] == 'open' and un > now then cool = un - now end
  if f[2] == 'half' and un > now then cool = 100 end
  return { num(f[1], 0), h, mean(KEYS[2]), mean(KEYS[3]), cool }
end
