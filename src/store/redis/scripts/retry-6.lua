--[[
  Schedule a failed job for a later attempt: move it from "in progress" to
  "waiting for retry" in one step, and record the failed attempt.

  KEYS[1]  the job stream
  KEYS[2]  the retry schedule (sorted set: job id -> due time in ms)
  KEYS[3]  the retry payloads (hash: job id -> JSON {job, attempt, err, handbacks})
  KEYS[4]  the event log's summary hash
  KEYS[5]  the event log's attempts hash
  KEYS[6]  this minute's history hash

  ARGV[1]  the consumer group
  ARGV[2]  the stream entry id being retried
  ARGV[3]  the job id
  ARGV[4]  delay in milliseconds
  ARGV[5]  failed attempts so far, including this one
  ARGV[6]  the last error message
  ARGV[7]  "1" when the event log is on, else "0"
  ARGV[8]  the target of this delivery (a destination, or "handlers")
  ARGV[9]  the attempt to record (JSON), or "" when none ran (a delivery put off
           by its breaker, a pause or a rate limit): the log's delivery then goes
           back to queued, and no failure is counted

  Returns 1 when scheduled, 0 when the entry was no longer pending (reclaimed
  meanwhile: its new copy carries on and nothing is written here).

  The due time comes from the Redis clock, so instances with skewed clocks agree.
  The first write is XACK (see take-pending.lua), so this runs at maxmemory.
]]
--@include "includes/now-ms.lua"
--@include "includes/take-pending.lua"
--@include "includes/event-log.lua"

local fields = takePending(KEYS[1], ARGV[1], ARGV[2])
local job = fields and fieldOf(fields, "job")
if not job then
  return 0
end
-- Hand-backs are counted over the job's life (see release-5.lua), so they travel with it.
local handbacks = fieldOf(fields, "handbacks") or "0"
redis.call("HSET", KEYS[3], ARGV[3],
  cjson.encode({ job = job, attempt = ARGV[5], err = ARGV[6], handbacks = handbacks }))
redis.call("ZADD", KEYS[2], nowMs() + tonumber(ARGV[4]), ARGV[3])
local log = { history = KEYS[6], target = ARGV[8] }
if ARGV[7] == "1" then
  log.summary, log.attempts = KEYS[4], KEYS[5]
end
if ARGV[9] == "" then
  recordOutcome(log, ARGV[3], "queued")
else
  recordOutcome(log, ARGV[3], "retrying", ARGV[9])
  countMinute(log, "f:" .. ARGV[8], 1)
end
return 1
