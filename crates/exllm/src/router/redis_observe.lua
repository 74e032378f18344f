-- observe: KEYS dep, ttft list, per-token list; ARGV for requests then tokens: configured cap
-- (-1: none), announced limit, remaining, reset ms ('' when not announced). What a provider
-- says is left lowers the shared bucket (other clients share the provider's quota); an
-- announced limit becomes the bucket's size for every process when the config gave none.
-- Returns the snapshot.
local function follow(p, i)
  local cap, limit = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  local left, reset = tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
  if cap < 0 and limit ~= nil and limit > 0 then
    redis.call('HSET', dep, p .. 'L', tostring(limit))
  end
  local b = bucket(p, cap)
  if b == nil or left == nil then return b end
  local target = left
  if left < 1 and reset ~= nil then target = 1 - reset / 1000 * b.cap / 60 end
  b.level = math.min(b.level, target)
  save(b)
  return b
end
local r = follow('r', 1)
local tk = follow('t', 5)
redis.call('PEXPIRE', dep, 86400000)
local out = {}
for _, v in ipairs(snapshot(r, tk)) do out[#out + 1] = tostring(v) end
return out
