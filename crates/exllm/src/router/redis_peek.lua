-- peek: KEYS dep, ttft list, per-token list; ARGV rpm, tpm (-1: none). The snapshot of a
-- deployment, changing nothing (a background refresh of a process's view of the others' calls).
local function peek(p, cap)
  if cap_of(p, cap) < 0 then return nil end
  return bucket(p, cap)
end
local out = {}
for _, v in ipairs(snapshot(peek('r', tonumber(ARGV[1])), peek('t', tonumber(ARGV[2])))) do
  out[#out + 1] = tostring(v)
end
return out
