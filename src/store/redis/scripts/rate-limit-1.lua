--[[
  Count one request in a fixed rate-limit window.

  KEYS[1]  the window's counter, e.g. {QUEUE}:rl:ip:203.0.113.7

  ARGV[1]  window length in milliseconds

  Returns { count, reset_in_ms }:
    count        requests in this window, this one included
    reset_in_ms  time until the counter expires and the window starts over

  INCR and PEXPIRE must be one step: a counter incremented by a client that then
  died before setting the expiry would never expire, and would lock the key out
  for good. A counter found without an expiry (e.g. restored from an old dump) is
  given one here.
]]
local count = redis.call("INCR", KEYS[1])
if count == 1 then
  redis.call("PEXPIRE", KEYS[1], ARGV[1])
  return { count, tonumber(ARGV[1]) }
end
local ttl = redis.call("PTTL", KEYS[1])
if ttl < 0 then
  redis.call("PEXPIRE", KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { count, ttl }
