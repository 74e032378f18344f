-- settle: KEYS dep, ttft list, per-token list, budgets...; ARGV reserved tokens, used tokens
-- (-1: keep the reservation), reserved USD, spent USD, verdict (s f c n), cool ms (c),
-- allowed fails, failure window ms, cooldown ms, ttft ms ('' none), per-token ms ('' none),
-- latency window size, rpm, tpm (-1: none), counted (1: the reservation is in Redis).
-- Returns the snapshot.
local rtok, used, rcost, spent = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local verdict, cool, allowed, window, cooldown = ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local size, counted = tonumber(ARGV[12]), ARGV[15] == '1'
local r = bucket('r', tonumber(ARGV[13]))
local tk = bucket('t', tonumber(ARGV[14]))

if counted then
  local n = tonumber(redis.call('HINCRBY', dep, 'in', -1))
  if n < 0 then redis.call('HSET', dep, 'in', 0) end
end
if counted then
  if tk and used >= 0 then
    -- Reconcile: give back what was not used, or charge the overrun.
    tk.level = math.min(tk.cap, tk.level + rtok - used)
  end
else
  -- Admitted unchecked while Redis was out of reach: charge what the call really took.
  if r then r.level = r.level - 1 end
  if tk then
    if used >= 0 then tk.level = tk.level - used else tk.level = tk.level - rtok end
  end
end
save(r); save(tk)

local st = redis.call('HMGET', dep, 'st', 'un', 'fails')
local state, un, fails = st[1], num(st[2], 0), st[3] or ''
local function open_until(u) redis.call('HSET', dep, 'st', 'open', 'un', u, 'fails', '') end
if verdict == 's' then
  redis.call('HSET', dep, 'st', 'closed', 'fails', '')
  for i, key in ipairs({ KEYS[2], KEYS[3] }) do
    local v = ARGV[9 + i]
    if v ~= '' then
      redis.call('RPUSH', key, v)
      redis.call('LTRIM', key, -size, -1)
      redis.call('PEXPIRE', key, 86400000)
    end
  end
elseif verdict == 'f' then
  if allowed > 0 then
    if state == 'half' then
      open_until(now + cooldown)
    else
      local kept = {}
      for x in string.gmatch(fails, '[^,]+') do
        if now - tonumber(x) <= window then kept[#kept + 1] = x end
      end
      kept[#kept + 1] = tostring(now)
      if #kept >= allowed then open_until(now + cooldown) else redis.call('HSET', dep, 'fails', table.concat(kept, ',')) end
    end
  end
elseif verdict == 'c' then
  if not (state == 'open' and un >= now + cool) then
    redis.call('HSET', dep, 'st', 'open', 'un', now + cool)
  end
elseif verdict == 'n' then
  -- A half-open probe that ended without a verdict lets the next one try.
  if state == 'half' then redis.call('HSET', dep, 'st', 'open', 'un', now) end
end

for i = 4, #KEYS do
  local key = KEYS[i]
  local f = redis.call('HMGET', key, 'settled', 'reserved', 'start', 'period')
  local settled, reserved, start, period = num(f[1], 0), num(f[2], 0), num(f[3], now), num(f[4], 0)
  if counted then reserved = math.max(0, reserved - rcost) end
  if period > 0 and now - start >= period then settled, start = 0, now end
  redis.call('HSET', key, 'settled', tostring(settled + spent), 'reserved', tostring(reserved), 'start', start)
end
local out = {}
for _, v in ipairs(snapshot(r, tk)) do out[#out + 1] = tostring(v) end
return out
