-- settle: swaps a reservation for the real cost and tokens.
-- KEYS[1] epoch, then 4 per scope: token log, tokens hash, budget hash, holds.
-- ARGV: uid, actual tokens, actual cost, the epoch the reservation is held in, then per
-- scope 1 when it has a budget. A reservation made before Redis lost its data (another
-- epoch, not re-posted) or one that lapsed is no longer held, so only the cost is added.
local uid, tokens, cost = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local same = redis.call('GET', KEYS[1]) == ARGV[4]
local ns = (#KEYS - 1) / 4
for i = 1, ns do
  local tz, tv, b, hz = KEYS[2 + 4 * (i - 1)], KEYS[3 + 4 * (i - 1)], KEYS[4 + 4 * (i - 1)], KEYS[5 + 4 * (i - 1)]
  local old = redis.call('HGET', tv, uid)
  if old then
    redis.call('HSET', tv, uid, tokens)
    redis.call('HINCRBY', tv, '_sum', tokens - tonumber(old))
  end
  if ARGV[4 + i] == '1' then
    local held = same and redis.call('HGET', b, 'h:' .. uid)
    if held then
      redis.call('HINCRBYFLOAT', b, 'reserved', -tonumber(held))
      redis.call('HDEL', b, 'h:' .. uid)
      redis.call('ZREM', hz, uid)
    end
    redis.call('HINCRBYFLOAT', b, 'settled', cost)
  end
end
return 1
