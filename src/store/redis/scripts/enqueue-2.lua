--[[
  Accept one webhook: deduplicate and enqueue in a single atomic step.

  KEYS[1]  the job stream
  KEYS[2]  the idempotency key for this event (ignored when ARGV[1] is "0")

  ARGV[1]  "1" to deduplicate on KEYS[2], "0" to accept without deduplication
  ARGV[2]  idempotency TTL in milliseconds
  ARGV[3]  the new job's id
  ARGV[4]  the job envelope (JSON)

  Returns { job id, duplicate flag }:
    { ARGV[3], 0 }       accepted and queued
    { original id, 1 }   a duplicate of a job accepted within the TTL; nothing written

  The XADD comes before the SET, and both are in this script, so there is never a
  key without its job (which would drop the provider's retry) nor a job without
  its key. Under noeviction, an OOM aborts the script at its first write (the
  XADD), leaving nothing behind.
]]
if ARGV[1] == "1" then
  local existing = redis.call("GET", KEYS[2])
  if existing then
    return { existing, 1 }
  end
end
redis.call("XADD", KEYS[1], "*", "job", ARGV[4], "attempt", "0")
if ARGV[1] == "1" then
  redis.call("SET", KEYS[2], ARGV[3], "PX", ARGV[2])
end
return { ARGV[3], 0 }
