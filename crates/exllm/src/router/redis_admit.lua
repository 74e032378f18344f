-- admit: KEYS dep, ttft list, per-token list, budgets...; ARGV rpm, tpm (-1: none), tokens,
-- cost, cooldown ms, then per budget: limit, period ms, refuse (1/0).
-- Returns {status, wait ms, snapshot..., budget index, budget total, warned index/total...}:
-- status 0 admitted, 1 cooling, 2 rate limited, 3 budget refused. All checks come before any
-- reservation, so a call reserves everything or nothing.
local rpm, tpm, tokens, cost, cool_ms = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local st = redis.call('HMGET', dep, 'st', 'un')
local state, un = st[1], num(st[2], 0)
local r = bucket('r', rpm)
local tk = bucket('t', tpm)

local function reply(status, wait, extra)
  local out = { tostring(status), tostring(wait) }
  for _, v in ipairs(snapshot(r, tk)) do out[#out + 1] = tostring(v) end
  for _, v in ipairs(extra or {}) do out[#out + 1] = tostring(v) end
  return out
end

if state == 'open' and un > now then return reply(1, un - now) end
-- A half-open probe is in flight: the others wait for it (its lease ends at `un`, so a
-- probe lost with its process does not keep the deployment closed off).
if state == 'half' and un > now then return reply(1, 100) end

local wait = 0
if r then
  if r.level < 1 then
    if r.cap < 1 then wait = 60000 else wait = math.max(wait, (1 - r.level) * 60000 / r.cap) end
  end
end
if tk then
  if tk.level < tokens then
    if tokens > tk.cap or tk.cap <= 0 then wait = 60000 else wait = math.max(wait, (tokens - tk.level) * 60000 / tk.cap) end
  end
end
if wait > 0 then save(r); save(tk); return reply(2, math.ceil(wait)) end

local warned = {}
local nb = #KEYS - 3
for i = 1, nb do
  local key = KEYS[3 + i]
  local limit, period, refuse = tonumber(ARGV[5 + 3 * i - 2]), tonumber(ARGV[5 + 3 * i - 1]), ARGV[5 + 3 * i]
  local f = redis.call('HMGET', key, 'settled', 'reserved', 'start')
  local settled, reserved, start = num(f[1], 0), num(f[2], 0), num(f[3], now)
  if period > 0 and now - start >= period then
    settled, start = 0, now
  end
  redis.call('HSET', key, 'settled', tostring(settled), 'start', start, 'period', period)
  local total = settled + reserved
  if total + cost > limit then
    if refuse == '1' then return reply(3, 0, { i, total }) end
    warned[#warned + 1] = i
    warned[#warned + 1] = total
  end
end

-- Every check passed: reserve everything at once.
if state == 'open' or state == 'half' then
  redis.call('HSET', dep, 'st', 'half', 'un', now + cool_ms)
end
if r then r.level = r.level - 1 end
if tk then tk.level = tk.level - tokens end
save(r); save(tk)
redis.call('HINCRBY', dep, 'in', 1)
-- A deployment nobody calls for a day is forgotten (with any count a dead process left).
redis.call('PEXPIRE', dep, 86400000)
for i = 1, nb do
  local key = KEYS[3 + i]
  redis.call('HINCRBYFLOAT', key, 'reserved', tostring(cost))
  -- A budget idle for two periods holds nothing a roll would not reset.
  local period = tonumber(ARGV[5 + 3 * i - 1])
  if period > 0 then redis.call('PEXPIRE', key, 2 * period + 60000) end
end
local extra = { 0, 0 }
for _, v in ipairs(warned) do extra[#extra + 1] = v end
return reply(0, 0, extra)
