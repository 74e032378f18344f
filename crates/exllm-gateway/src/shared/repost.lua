-- repost: after Redis lost its data, an instance puts back what its calls in flight
-- reserved. KEYS: budget hashes; ARGV[1] cost.
for _, b in ipairs(KEYS) do redis.call('HINCRBYFLOAT', b, 'reserved', ARGV[1]) end
return 1
