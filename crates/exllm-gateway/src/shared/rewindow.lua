-- rewindow: after Redis lost its data, an instance puts back what it admitted in the last
-- minute into one scope's request and token windows (see admit.lua's keys).
-- KEYS[1] requests (zset), KEYS[2] token log (zset), KEYS[3] tokens (hash).
-- ARGV: member prefix, rpm (1/0), tpm (1/0), then triples: ms, requests, tokens.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rpm, tpm = ARGV[2] == '1', ARGV[3] == '1'
-- Members go in with one ZADD per few hundred, not one command each.
local batch = {}
local function flush()
  if #batch > 0 then
    redis.call('ZADD', KEYS[1], unpack(batch))
    batch = {}
  end
end
for i = 4, #ARGV, 3 do
  local at, n, tokens = tonumber(ARGV[i]), tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  if at > now - 60000 then
    local m = ARGV[1] .. ':' .. at
    if rpm then
      for k = 1, n do
        batch[#batch + 1] = at
        batch[#batch + 1] = m .. ':' .. k
        if #batch >= 512 then flush() end
      end
    end
    if tpm and tokens > 0 then
      redis.call('ZADD', KEYS[2], at, m)
      if redis.call('HSETNX', KEYS[3], m, tokens) == 1 then
        redis.call('HINCRBY', KEYS[3], '_sum', tokens)
      end
    end
  end
end
flush()
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], 61000) end
return 1
