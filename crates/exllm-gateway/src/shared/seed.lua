-- seed: starts a budget that Redis does not hold (a new or restarted server) from the
-- ledger's spend before the epoch began, once. KEYS[1] budget; ARGV: spend, period start.
if redis.call('HEXISTS', KEYS[1], 'seeded') == 1 then return 0 end
redis.call('HINCRBYFLOAT', KEYS[1], 'settled', ARGV[1])
redis.call('HSET', KEYS[1], 'seeded', 1, 'start', ARGV[2])
return 1
