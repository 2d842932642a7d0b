--[[
  Move a job that will not be retried from "in progress" to the dead-letter queue.

  KEYS[1]  the job stream
  KEYS[2]  the dead-letter stream

  ARGV[1]  the consumer group
  ARGV[2]  the stream entry id
  ARGV[3]  attempts made in all
  ARGV[4]  the last error message

  Returns 1 when moved, 0 when the entry was no longer pending (reclaimed
  meanwhile; its new copy carries on).

  Besides the job, the DLQ entry carries the job's id, type, source and
  received time as fields of their own, read from the envelope here (a rare
  step), so that listing and filtering the DLQ never decode payloads.
]]
--@include "includes/now-ms.lua"
--@include "includes/take-pending.lua"
--@include "includes/add-dead-letter.lua"

local fields = takePending(KEYS[1], ARGV[1], ARGV[2])
if not fields then
  return 0
end
-- Not written by this service (no job field): keep whatever it held for an operator to see.
local job = fieldOf(fields, "job") or cjson.encode(fields)
addDeadLetter(KEYS[2], job, ARGV[3], ARGV[4], nowMs())
return 1
