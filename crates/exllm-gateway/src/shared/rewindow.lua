-- rewindow: after Redis lost its data, an instance puts back what it admitted in the last
-- minute into one scope's request and token windows (see admit.lua's keys).
-- KEYS[1] requests (zset), KEYS[2] token log (zset), KEYS[3] tokens (hash).
-- ARGV: member prefix, rpm (1/0), tpm (1/0), then triples: ms, requests, tokens.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rpm, tpm = ARGV[2] == '1', ARGV[3] == '1'
for i = 4, #ARGV, 3 do
  local at, n, tokens = tonumber(ARGV[i]), tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  if at > now - 60000 then
    local m = ARGV[1] .. ':' .. at
    if rpm then
      for k = 1, n do redis.call('ZADD', KEYS[1], at, m .. ':' .. k) end
    end
    if tpm and tokens > 0 then
      redis.call('ZADD', KEYS[2], at, m)
      if redis.call('HSETNX', KEYS[3], m, tokens) == 1 then
        redis.call('HINCRBY', KEYS[3], '_sum', tokens)
      end
    end
  end
end
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], 61000) end
return 1
