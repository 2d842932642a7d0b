--[[
  Hand jobs back to the queue on shutdown, at the end of the stream, for any
  consumer to take at once instead of waiting for the reclaim idle time.

  KEYS[1]  the job stream
  KEYS[2]  the dead-letter stream
  KEYS[3]  the event log's summary hash
  KEYS[4]  the event log's attempts hash
  KEYS[5]  this minute's history hash

  ARGV[1]  the consumer group
  ARGV[2]  "1" when the jobs ran (their handlers settled without an outcome),
           "0" when they never started
  ARGV[3]  the most attempts a job may have (MAX_RETRIES + 1)
  ARGV[4]  the error recorded when a hand-back counts as an attempt
  ARGV[5]  "1" when the event log is on, else "0"
  ARGV[6]  the target of these deliveries (a destination, or "handlers")
  ARGV[7..n]  stream entry ids held by this consumer

  Returns { handed back, dead-lettered }. An entry no longer pending (already
  reclaimed by another instance) is left alone.

  A job that never started goes back as it was. A job that ran carries a
  "handbacks" field: its first hand-back is free, every later one counts as an
  attempt (so endless restarts cannot run a job forever), and a job with no
  attempts left goes to the dead-letter queue. The field travels with the job
  through retries (retry-6.lua, promote-3.lua) and reclaims (reclaim-5.lua).

  The event log records a hand-back that did not count as queued again (no
  attempt), one that counted as a lost attempt (retrying, or dead). The first
  write is XACK (see take-pending.lua), so this runs at maxmemory.
]]
--@include "includes/now-ms.lua"
--@include "includes/take-pending.lua"
--@include "includes/decode-json.lua"
--@include "includes/add-dead-letter.lua"
--@include "includes/event-log.lua"

local started = ARGV[2] == "1"
local maxAttempts = tonumber(ARGV[3])
local log = { history = KEYS[5], target = ARGV[6] }
if ARGV[5] == "1" then
  log.summary, log.attempts = KEYS[3], KEYS[4]
end
local released, dead = 0, 0
for i = 7, #ARGV do
  local fields = takePending(KEYS[1], ARGV[1], ARGV[i])
  if fields then
    local job = fieldOf(fields, "job")
    if not started or not job then
      redis.call("XADD", KEYS[1], "*", unpack(fields))
      released = released + 1
      recordOutcome(log, jobIdOf(job), "queued")
    else
      local attempt = tonumber(fieldOf(fields, "attempt")) or 0
      local handbacks = (tonumber(fieldOf(fields, "handbacks")) or 0) + 1
      local err = fieldOf(fields, "err") or ""
      local lost
      if handbacks > 1 then
        attempt = attempt + 1
        err = ARGV[4]
        lost = lostAttempt(nowMs(), err)
      end
      if attempt >= maxAttempts then
        local id = addDeadLetter(KEYS[2], job, attempt, err, nowMs())
        recordOutcome(log, id, "dead", lost)
        countMinute(log, "dead", 1)
        dead = dead + 1
      else
        redis.call("XADD", KEYS[1], "*", "job", job, "attempt", tostring(attempt), "err", err,
          "handbacks", tostring(handbacks))
        recordOutcome(log, jobIdOf(job), lost and "retrying" or "queued", lost)
        released = released + 1
      end
    end
  end
end
return { released, dead }
