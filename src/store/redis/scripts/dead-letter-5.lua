--[[
  Move a job that will not be retried from "in progress" to the dead-letter
  queue, and record its delivery as dead.

  KEYS[1]  the job stream
  KEYS[2]  the dead-letter stream
  KEYS[3]  the event log's summary hash
  KEYS[4]  the event log's attempts hash
  KEYS[5]  this minute's history hash

  ARGV[1]  the consumer group
  ARGV[2]  the stream entry id
  ARGV[3]  attempts made in all
  ARGV[4]  the last error message
  ARGV[5]  "1" when the event log is on, else "0"
  ARGV[6]  the target of this delivery (a destination, or "handlers")
  ARGV[7]  the attempt to record (JSON), or "" when none ran (a malformed
           entry): then no failed attempt is counted either

  Returns 1 when moved, 0 when the entry was no longer pending (reclaimed
  meanwhile; its new copy carries on).

  Besides the job, the DLQ entry carries the job's id, type, source and
  received time as fields of their own, read from the envelope here (a rare
  step), so that listing and filtering the DLQ never decode payloads; the id
  read there names the event to record. The first write is XACK (see
  take-pending.lua), so this runs at maxmemory.
]]
--@include "includes/now-ms.lua"
--@include "includes/take-pending.lua"
--@include "includes/decode-json.lua"
--@include "includes/add-dead-letter.lua"
--@include "includes/event-log.lua"

local fields = takePending(KEYS[1], ARGV[1], ARGV[2])
if not fields then
  return 0
end
-- Not written by this service (no job field): keep whatever it held for an operator to see.
local job = fieldOf(fields, "job") or cjson.encode(fields)
local id = addDeadLetter(KEYS[2], job, ARGV[3], ARGV[4], nowMs())
local log = { history = KEYS[5], target = ARGV[6] }
if ARGV[5] == "1" then
  log.summary, log.attempts = KEYS[3], KEYS[4]
end
recordOutcome(log, id, "dead", ARGV[7])
if ARGV[7] ~= "" then countMinute(log, "f:" .. ARGV[6], 1) end
countMinute(log, "dead", 1)
return 1
