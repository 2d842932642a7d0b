--[[
  Record the outcome of one delivery attempt to a destination, and move its
  circuit breaker if that outcome calls for it.

  KEYS[1]  the destination's state (hash: failures, open_until, cooldown, paused,
           last_error, last_error_at)
  KEYS[2]  the destination's outcome counts for the current minute (hash: ok, fail)

  ARGV[1]  "ok" or "fail"
  ARGV[2]  failures in a row that open the breaker
  ARGV[3]  the first cool-down, ms
  ARGV[4]  the longest cool-down, ms
  ARGV[5]  the error (for "fail")

  Returns "opened", "reopened", "closed" or "" (no change).

  A failure while open and cooling down (a request sent before the breaker
  opened) changes nothing; a failure once the cool-down is over is the probe's,
  and opens the breaker again for twice as long. The probe lease is dropped with
  any change, so that the next probe can go.
]]
--@include "includes/now-ms.lua"

local now = nowMs()
redis.call("HINCRBY", KEYS[2], ARGV[1], 1)
redis.call("PEXPIRE", KEYS[2], 600000)
local openUntil = tonumber(redis.call("HGET", KEYS[1], "open_until") or "0")
local probeKey = KEYS[1] .. ":probe"
if ARGV[1] == "ok" then
  redis.call("HSET", KEYS[1], "failures", 0)
  if openUntil > 0 then
    redis.call("HSET", KEYS[1], "open_until", 0, "cooldown", 0)
    redis.call("DEL", probeKey)
    return "closed"
  end
  return ""
end
redis.call("HSET", KEYS[1], "last_error", ARGV[5], "last_error_at", now)
local failures = redis.call("HINCRBY", KEYS[1], "failures", 1)
if openUntil > 0 then
  if now < openUntil then
    return ""
  end
  local cooldown = math.min(tonumber(redis.call("HGET", KEYS[1], "cooldown") or ARGV[3]) * 2, tonumber(ARGV[4]))
  redis.call("HSET", KEYS[1], "open_until", now + cooldown, "cooldown", cooldown)
  redis.call("DEL", probeKey)
  return "reopened"
end
if failures >= tonumber(ARGV[2]) then
  local cooldown = tonumber(ARGV[3])
  redis.call("HSET", KEYS[1], "open_until", now + cooldown, "cooldown", cooldown)
  redis.call("DEL", probeKey)
  return "opened"
end
return ""
