--[[
  Hand jobs back to the queue on shutdown, at the end of the stream, for any
  consumer to take at once instead of waiting for the reclaim idle time.

  KEYS[1]  the job stream
  KEYS[2]  the dead-letter stream

  ARGV[1]  the consumer group
  ARGV[2]  "1" when the jobs ran (their handlers settled without an outcome),
           "0" when they never started
  ARGV[3]  the most attempts a job may have (MAX_RETRIES + 1)
  ARGV[4]  the error recorded when a hand-back counts as an attempt
  ARGV[5..n]  stream entry ids held by this consumer

  Returns { handed back, dead-lettered }. An entry no longer pending (already
  reclaimed by another instance) is left alone.

  A job that never started goes back as it was. A job that ran carries a
  "handbacks" field: its first hand-back is free, every later one counts as an
  attempt (so endless restarts cannot run a job forever), and a job with no
  attempts left goes to the dead-letter queue. The field travels with the job
  through retries (retry-3.lua, promote-3.lua) and reclaims (reclaim-2.lua).
]]
--@include "includes/now-ms.lua"
--@include "includes/take-pending.lua"
--@include "includes/add-dead-letter.lua"

local started = ARGV[2] == "1"
local maxAttempts = tonumber(ARGV[3])
local released, dead = 0, 0
for i = 5, #ARGV do
  local fields = takePending(KEYS[1], ARGV[1], ARGV[i])
  if fields then
    local job = fieldOf(fields, "job")
    if not started or not job then
      redis.call("XADD", KEYS[1], "*", unpack(fields))
      released = released + 1
    else
      local attempt = tonumber(fieldOf(fields, "attempt")) or 0
      local handbacks = (tonumber(fieldOf(fields, "handbacks")) or 0) + 1
      local err = fieldOf(fields, "err") or ""
      if handbacks > 1 then
        attempt = attempt + 1
        err = ARGV[4]
      end
      if attempt >= maxAttempts then
        addDeadLetter(KEYS[2], job, attempt, err, nowMs())
        dead = dead + 1
      else
        redis.call("XADD", KEYS[1], "*", "job", job, "attempt", tostring(attempt), "err", err,
          "handbacks", tostring(handbacks))
        released = released + 1
      end
    end
  end
end
return { released, dead }
