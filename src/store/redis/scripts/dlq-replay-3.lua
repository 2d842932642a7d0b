--[[
  Replay dead letters: move each entry back to the job stream with a fresh
  attempt count, and put its delivery back to queued in the event log.

  KEYS[1]  the job stream
  KEYS[2]  the dead-letter stream
  KEYS[3]  the event log's summary hash

  ARGV[1]     the prefix of the destinations' delivery streams: a dead
              delivery goes back to ARGV[1] .. its destination, and only there
              (under the queue's hash tag, so in the same slot as KEYS)
  ARGV[2]     "1" when the event log is on, else "0"
  ARGV[3..n]  dead-letter entry ids

  Returns the number of entries moved, or removed: an entry whose delivery
  the event log shows under way (queued, delivering, retrying: replayed from
  the log since it died) is deleted from the DLQ without queueing a second
  copy beside that one.

  Each move is an XADD to the stream and an XDEL from the DLQ in this one
  script, so an entry is never both queued and dead, nor neither (under
  noeviction an OOM aborts the script at its first write, the XADD, leaving
  nothing behind). An id no longer in the DLQ (replayed or deleted already) is
  skipped, so replaying twice queues once. The job keeps its id; its attempt
  count starts again and the last error is dropped with the DLQ entry. Its
  event's record, if still in the log, keeps its attempts.
]]
--@include "includes/event-log.lua"

local log
if ARGV[2] == "1" then
  log = { summary = KEYS[3] }
end
local moved = 0
for i = 3, #ARGV do
  local entry = redis.call("XRANGE", KEYS[2], ARGV[i], ARGV[i])
  if #entry == 1 then
    local fields = entry[1][2]
    local job, destination, jobId
    for j = 1, #fields, 2 do
      if fields[j] == "job" then job = fields[j + 1] end
      if fields[j] == "destination" then destination = fields[j + 1] end
      if fields[j] == "job_id" then jobId = fields[j + 1] end
    end
    local stream = KEYS[1]
    if destination and destination ~= "" then stream = ARGV[1] .. destination end
    -- An entry without a job (not written by this service) cannot run: it stays.
    if job then
      local underWay = false
      if log then
        log.target = (destination and destination ~= "") and destination or "handlers"
        jobId = (jobId and jobId ~= "") and jobId or jobIdOf(job)
        local states = jobId and deliveryStates(KEYS[3], jobId) or nil
        underWay = states ~= nil and UNDER_WAY[states[log.target] or ""] == true
      end
      if not underWay then
        redis.call("XADD", stream, "*", "job", job, "attempt", "0")
      end
      redis.call("XDEL", KEYS[2], ARGV[i])
      moved = moved + 1
      if log and not underWay then recordOutcome(log, jobId, "queued") end
    end
  end
end
return moved
