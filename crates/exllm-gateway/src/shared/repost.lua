-- repost: after Redis lost its data, an instance puts back what one of its calls in flight
-- reserved. KEYS: per budget its hash and holds; ARGV: uid, cost, ms from now the hold lapses.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, #KEYS, 2 do
  redis.call('HINCRBYFLOAT', KEYS[i], 'reserved', ARGV[2])
  redis.call('HSET', KEYS[i], 'h:' .. ARGV[1], ARGV[2])
  redis.call('ZADD', KEYS[i + 1], now + tonumber(ARGV[3]), ARGV[1])
end
return 1
