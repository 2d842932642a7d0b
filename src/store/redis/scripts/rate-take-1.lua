#!lua flags=allow-oom
--[[
  Take one request from a destination's rate limit (GCRA: requests are spaced
  at least `interval` apart, across every instance, with no burst).

  KEYS[1]  the limit's theoretical arrival time (string, ms)

  ARGV[1]  the interval between requests, ms (window / count; may be fractional)

  Returns 0 when the request may go now (and counts it), else the ms to wait
  before asking again (nothing counted).

  Runs past maxmemory (allow-oom): a rate-limited destination must go on
  draining, and its one key is a few bytes.
]]
--@include "includes/now-ms.lua"

local now = nowMs()
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call("GET", KEYS[1]) or "0")
if tat < now then
  tat = now
end
if tat > now then
  return math.ceil(tat - now)
end
redis.call("SET", KEYS[1], tostring(tat + interval), "PX", math.ceil(interval) + 1000)
return 0
