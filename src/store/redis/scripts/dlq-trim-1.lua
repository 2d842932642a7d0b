--[[
  Hold the dead-letter queue to its caps: drop entries older than the
  retention, then the oldest beyond the maximum length.

  KEYS[1]  the dead-letter stream

  ARGV[1]  retention in milliseconds, "0" for none
  ARGV[2]  maximum length, "0" for none

  Returns { dropped by age, dropped by length }.

  Entry ids start with the Redis clock's milliseconds at dead-lettering, so
  age is an id bound (XTRIM MINID), judged on the same clock that wrote them.
  Both trims are exact (no "~"): they run rarely, and the counts are reported.
]]
--@include "includes/now-ms.lua"

local byAge, byLength = 0, 0
local retention = tonumber(ARGV[1])
if retention > 0 then
  local floor = nowMs() - retention
  if floor > 0 then
    byAge = redis.call("XTRIM", KEYS[1], "MINID", string.format("%.0f", floor) .. "-0")
  end
end
local maxLen = tonumber(ARGV[2])
if maxLen > 0 then
  byLength = redis.call("XTRIM", KEYS[1], "MAXLEN", maxLen)
end
return { byAge, byLength }
