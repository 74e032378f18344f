-- settle: swaps a reservation for the real cost and tokens.
-- KEYS[1] epoch, then 3 per scope: token log, tokens hash, budget hash.
-- ARGV: uid, actual tokens, reserved cost, actual cost, the epoch the reservation is held in,
-- then per scope 1 when it has a budget. A reservation made before Redis lost its data
-- (another epoch) is not in `reserved`, so only the cost is added.
local uid, tokens, reserved, cost = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local same = redis.call('GET', KEYS[1]) == ARGV[5]
local ns = (#KEYS - 1) / 3
for i = 1, ns do
  local tz, tv, b = KEYS[2 + 3 * (i - 1)], KEYS[3 + 3 * (i - 1)], KEYS[4 + 3 * (i - 1)]
  local old = redis.call('HGET', tv, uid)
  if old then
    redis.call('HSET', tv, uid, tokens)
    redis.call('HINCRBY', tv, '_sum', tokens - tonumber(old))
  end
  if ARGV[5 + i] == '1' then
    if same then redis.call('HINCRBYFLOAT', b, 'reserved', -reserved) end
    redis.call('HINCRBYFLOAT', b, 'settled', cost)
  end
end
return 1
