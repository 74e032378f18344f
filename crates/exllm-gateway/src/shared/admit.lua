-- admit: every check of one request in one atomic step, on the server's clock.
-- KEYS[1] deny (zset: member -> ms from which it is refused), KEYS[2] epoch,
-- then 5 per scope: requests (zset uid -> ms), token log (zset uid -> ms), tokens (hash
-- uid -> n, `_sum`), budget (hash settled, reserved, start, seeded, `h:UID` -> USD held),
-- holds (zset uid -> ms the hold lapses: a call can run no longer, so what a killed
-- instance held comes back).
-- ARGV: uid, tokens, cost, fresh epoch id (ending `.r` when the caller knew an earlier one),
-- recovery ms, hold ms, deny member count n, n
-- members, then 5 per scope: rpm, tpm, budget (-1: none), period start ms, period end ms
-- (-1: none).
-- Replies {status, epoch, scope index, a, b}: 0 admitted, 1 denied (a: the member index),
-- 2 rpm (a: ms to wait), 3 tpm (a: ms, b: used), 4 recovering (a: ms; budgets and windows
-- wait while instances re-post), 5 seed needed,
-- 6 budget (a: settled, b: reserved). Every check comes before any write.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local uid, tokens, cost = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local recovery, hold = tonumber(ARGV[5]), tonumber(ARGV[6])
local ep = redis.call('GET', KEYS[2])
if not ep then
  ep = ARGV[4] .. ':' .. now
  redis.call('SET', KEYS[2], ep)
end
local created = tonumber(string.match(ep, ':(%d+)$')) or 0
-- Made by an instance that knew an earlier epoch: Redis lost its data (not a first start),
-- so the instances have windows to re-post.
local lost = string.find(ep, '.r:', 1, true) ~= nil

local nd = tonumber(ARGV[7])
for i = 1, nd do
  local at = redis.call('ZSCORE', KEYS[1], ARGV[7 + i])
  if at and tonumber(at) <= now then return { 1, ep, 0, i, 0 } end
end
local base = 7 + nd
local ns = (#KEYS - 2) / 5

local function lapse(b, hz)
  local old = redis.call('ZRANGEBYSCORE', hz, '-inf', now)
  if #old == 0 then return end
  for _, m in ipairs(old) do
    local c = redis.call('HGET', b, 'h:' .. m)
    if c then
      redis.call('HINCRBYFLOAT', b, 'reserved', -tonumber(c))
      redis.call('HDEL', b, 'h:' .. m)
    end
  end
  redis.call('ZREMRANGEBYSCORE', hz, '-inf', now)
end

local function prune(tz, tv)
  local old = redis.call('ZRANGEBYSCORE', tz, '-inf', now - 60000)
  if #old == 0 then return end
  local drop = 0
  for _, m in ipairs(old) do
    drop = drop + (tonumber(redis.call('HGET', tv, m)) or 0)
    redis.call('HDEL', tv, m)
  end
  redis.call('HINCRBY', tv, '_sum', -drop)
  redis.call('ZREMRANGEBYSCORE', tz, '-inf', now - 60000)
end

for i = 1, ns do
  local r, tz, tv, b, hz = KEYS[3 + 5 * (i - 1)], KEYS[4 + 5 * (i - 1)], KEYS[5 + 5 * (i - 1)], KEYS[6 + 5 * (i - 1)], KEYS[7 + 5 * (i - 1)]
  local a = base + 5 * (i - 1)
  local rpm, tpm, budget, ps = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
  -- A fresh epoch's windows fill while every instance re-posts its last minute.
  if lost and (rpm >= 0 or tpm >= 0) and now - created < recovery then return { 4, ep, i, created + recovery - now, 0 } end
  if rpm >= 0 then
    redis.call('ZREMRANGEBYSCORE', r, '-inf', now - 60000)
    local n = redis.call('ZCARD', r)
    if n >= rpm then
      local wait = 60000
      if rpm > 0 then
        local e = redis.call('ZRANGE', r, n - rpm, n - rpm, 'WITHSCORES')
        wait = tonumber(e[2]) + 60000 - now
      end
      return { 2, ep, i, math.max(wait, 1), 0 }
    end
  end
  if tpm >= 0 then
    prune(tz, tv)
    local used = tonumber(redis.call('HGET', tv, '_sum')) or 0
    if used + tokens > tpm then
      local wait = 60000
      local left = used
      local log = redis.call('ZRANGE', tz, 0, -1, 'WITHSCORES')
      for j = 1, #log, 2 do
        left = left - (tonumber(redis.call('HGET', tv, log[j])) or 0)
        if left + tokens <= tpm then
          wait = tonumber(log[j + 1]) + 60000 - now
          break
        end
      end
      return { 3, ep, i, math.max(wait, 1), used }
    end
  end
  if budget >= 0 then
    lapse(b, hz)
    local f = redis.call('HMGET', b, 'settled', 'reserved', 'start', 'seeded')
    if not f[4] then
      if now - created < recovery then return { 4, ep, i, created + recovery - now, 0 } end
      return { 5, ep, i, created, 0 }
    end
    local settled, reserved = tonumber(f[1]) or 0, tonumber(f[2]) or 0
    if tonumber(f[3]) ~= ps then
      -- A new period: what calls in flight reserved carries over.
      settled = 0
      redis.call('HSET', b, 'settled', 0, 'start', ps)
    end
    if settled + reserved + cost > budget + 1e-12 then
      return { 6, ep, i, tostring(settled), tostring(reserved) }
    end
  end
end

for i = 1, ns do
  local r, tz, tv, b, hz = KEYS[3 + 5 * (i - 1)], KEYS[4 + 5 * (i - 1)], KEYS[5 + 5 * (i - 1)], KEYS[6 + 5 * (i - 1)], KEYS[7 + 5 * (i - 1)]
  local a = base + 5 * (i - 1)
  if tonumber(ARGV[a + 1]) >= 0 then
    redis.call('ZADD', r, now, uid)
    redis.call('PEXPIRE', r, 61000)
  end
  if tonumber(ARGV[a + 2]) >= 0 then
    redis.call('ZADD', tz, now, uid)
    redis.call('HSET', tv, uid, tokens)
    redis.call('HINCRBY', tv, '_sum', tokens)
    redis.call('PEXPIRE', tz, 61000)
    redis.call('PEXPIRE', tv, 61000)
  end
  if tonumber(ARGV[a + 3]) >= 0 then
    redis.call('HINCRBYFLOAT', b, 'reserved', cost)
    redis.call('HSET', b, 'h:' .. uid, cost)
    redis.call('ZADD', hz, now + hold, uid)
    local pe = tonumber(ARGV[a + 5])
    if pe >= 0 then redis.call('PEXPIREAT', b, pe + 86400000) end
  end
end
return { 0, ep, 0, now, 0 }
