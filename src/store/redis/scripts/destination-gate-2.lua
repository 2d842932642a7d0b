#!lua flags=allow-oom
--[[
  May a delivery to this destination go now?

  KEYS[1]  the destination's state (hash, see destination-outcome-3.lua)
  KEYS[2]  its probe lease

  ARGV[1]  how long a probe lease lasts, ms (longer than the request's timeout)

  Returns { verdict, wait ms }:
    "go", 0        closed: send
    "probe", 0     open and cooled down: this caller holds the probe lease; send one
    "open", ms     open: wait this long for the cool-down
    "probing", ms  another caller holds the probe lease: wait for its outcome
    "paused", 0    an operator paused the destination

  Runs past maxmemory (allow-oom): the lease is a few bytes, and without it an
  open breaker could never close while memory is full.
]]
--@include "includes/now-ms.lua"

local state = redis.call("HMGET", KEYS[1], "paused", "open_until")
if state[1] == "1" then
  return { "paused", 0 }
end
local openUntil = tonumber(state[2] or "0")
if openUntil == 0 then
  return { "go", 0 }
end
local now = nowMs()
if now < openUntil then
  return { "open", openUntil - now }
end
if redis.call("SET", KEYS[2], "1", "NX", "PX", ARGV[1]) then
  return { "probe", 0 }
end
return { "probing", math.max(redis.call("PTTL", KEYS[2]), 1) }
