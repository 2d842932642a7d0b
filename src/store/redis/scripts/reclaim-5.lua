--[[
  Requeue jobs whose consumer died: entries pending longer than the reclaim idle
  time. A lost run counts as a failed attempt, so a job that kills its worker
  every time still ends in the dead-letter queue instead of looping forever.

  KEYS[1]  the job stream
  KEYS[2]  the dead-letter stream
  KEYS[3]  the event log's summary hash
  KEYS[4]  the event log's attempts hash
  KEYS[5]  this minute's history hash

  ARGV[1]  the consumer group
  ARGV[2]  this consumer's name (XAUTOCLAIM needs one; the entries are requeued at once)
  ARGV[3]  minimum idle time in milliseconds
  ARGV[4]  COUNT for XAUTOCLAIM
  ARGV[5]  the cursor to start from ("0-0" for a fresh scan)
  ARGV[6]  the most attempts a job may have (MAX_RETRIES + 1)
  ARGV[7]  the error text recorded for the lost attempt
  ARGV[8]  "1" when the event log is on, else "0"
  ARGV[9]  the target of these deliveries (a destination, or "handlers")

  Returns { next cursor, requeued, dead-lettered, { ids deleted while pending } }.
  The scan is complete when the cursor comes back as "0-0". XAUTOCLAIM looks at
  no more than COUNT*10 pending entries a call and may return fewer than COUNT
  with a cursor that is not "0-0", so callers loop.

  A dead-lettered job's entry carries its id, type, source and received time as
  fields of their own, as dead-letter-5.lua writes them. The event log records
  the lost attempt (at the Redis clock's now) and the delivery as retrying, or
  dead; the history counts the dead letters.

  Entries deleted while pending come back in XAUTOCLAIM's third element (Redis
  7.0+, which the service requires), already removed from the PEL. An entry this
  service did not write (no job field) goes to the dead-letter queue with its
  fields, as dead-letter-5.lua keeps it, for an operator to see.
]]
--@include "includes/now-ms.lua"
--@include "includes/decode-json.lua"
--@include "includes/add-dead-letter.lua"
--@include "includes/event-log.lua"
--@include "includes/requeue-lost.lua"

local reply = redis.call("XAUTOCLAIM", KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[5], "COUNT", ARGV[4])
local cursor = reply[1]
local entries = reply[2]
local deleted = reply[3]
local maxAttempts = tonumber(ARGV[6])
local requeued, dead = 0, 0
local now = nowMs()
local log = { history = KEYS[5], target = ARGV[9] }
if ARGV[8] == "1" then
  log.summary, log.attempts = KEYS[3], KEYS[4]
end
for _, e in ipairs(entries) do
  local id, fields = e[1], e[2]
  redis.call("XACK", KEYS[1], ARGV[1], id)
  redis.call("XDEL", KEYS[1], id)
  if requeueLost(KEYS[1], KEYS[2], fields, maxAttempts, ARGV[7], now, log) == "dead" then
    dead = dead + 1
  else
    requeued = requeued + 1
  end
end
return { cursor, requeued, dead, deleted }
