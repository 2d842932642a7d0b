#!lua flags=allow-oom
--[[
  Record the outcome of one delivery attempt to a destination, and move its
  circuit breaker if that outcome calls for it.

  KEYS[1]  the destination's state (hash: failures, open_until, cooldown, paused,
           last_error, last_error_at)
  KEYS[2]  the destination's outcome counts for the current minute (hash: ok, fail)
  KEYS[3]  the destination's probe lease

  ARGV[1]  "ok", "fail" (the destination looks unwell: no answer, 408, 429, 5xx)
           or "refused" (it answered, and refused this event: 4xx, 3xx)
  ARGV[2]  failures in a row that open the breaker
  ARGV[3]  the first cool-down, ms
  ARGV[4]  the longest cool-down, ms
  ARGV[5]  the error (for "fail" and "refused")
  ARGV[6]  "1" when this attempt was the breaker's probe, else "0"

  Returns "opened", "reopened", "closed" or "" (no change).

  Only the probe's failure opens an open breaker again (for twice as long): a
  request sent before the breaker opened, failing later, changes nothing and
  leaves the probe's lease alone. A refusal proves the destination answers: it
  neither counts towards opening nor against a closed breaker, and a probe that
  is refused closes it. The lease is dropped with any change of state.

  Runs past maxmemory (allow-oom): deliveries must go on, and finish, for memory
  to be freed; its writes are a few bytes.
]]
--@include "includes/now-ms.lua"

local now = nowMs()
local outcome, probe = ARGV[1], ARGV[6] == "1"
redis.call("HINCRBY", KEYS[2], outcome == "ok" and "ok" or "fail", 1)
redis.call("PEXPIRE", KEYS[2], 600000)
local openUntil = tonumber(redis.call("HGET", KEYS[1], "open_until") or "0")
local function close()
  redis.call("HSET", KEYS[1], "failures", 0, "open_until", 0, "cooldown", 0)
  redis.call("DEL", KEYS[3])
  return "closed"
end
if outcome ~= "ok" then
  redis.call("HSET", KEYS[1], "last_error", ARGV[5], "last_error_at", now)
end
if outcome == "ok" or (outcome == "refused" and probe) then
  if openUntil > 0 then return close() end
  if outcome == "ok" then redis.call("HSET", KEYS[1], "failures", 0) end
  return ""
end
if outcome == "refused" then
  return ""
end
local failures = redis.call("HINCRBY", KEYS[1], "failures", 1)
if openUntil > 0 then
  if not probe then
    return ""
  end
  local stored = tonumber(redis.call("HGET", KEYS[1], "cooldown") or "0")
  local cooldown = math.min(math.max(stored, tonumber(ARGV[3])) * 2, tonumber(ARGV[4]))
  redis.call("HSET", KEYS[1], "open_until", now + cooldown, "cooldown", cooldown)
  redis.call("DEL", KEYS[3])
  return "reopened"
end
if failures >= tonumber(ARGV[2]) then
  local cooldown = tonumber(ARGV[3])
  redis.call("HSET", KEYS[1], "open_until", now + cooldown, "cooldown", cooldown)
  redis.call("DEL", KEYS[3])
  return "opened"
end
return ""
