--[[
  Complete jobs: acknowledge and delete their stream entries, and record each
  delivery as delivered.

  KEYS[1]  the job stream
  KEYS[2]  the event log's summary hash
  KEYS[3]  the event log's attempts hash
  KEYS[4]  this minute's history hash

  ARGV[1]  the consumer group
  ARGV[2]  "1" when the event log is on, else "0"
  ARGV[3]  the target these deliveries are of (a destination, or "handlers")
  ARGV[4..n]  per delivery: its stream entry id, its job id, and the attempt
              to record (JSON); with the log off, its stream entry id alone

  Returns the number of entries acknowledged.

  An entry is deleted only if this XACK removed it from the pending list. An
  entry that is no longer pending was requeued by reclaim or moved by an admin;
  its new copy belongs to someone else, and records its own outcome: nothing is
  recorded for it here. Deleting acknowledged entries here is the stream's only
  trimming: what remains is exactly undelivered + pending, so nothing
  unacknowledged is ever trimmed.

  The first write is XACK, which needs no memory, so this runs at maxmemory
  (noeviction): once a script has written, Redis lets it finish, and the
  record's few bytes come after.
]]
--@include "includes/event-log.lua"

local log = { history = KEYS[4], target = ARGV[3] }
if ARGV[2] == "1" then
  log.summary, log.attempts = KEYS[2], KEYS[3]
end
local stride = log.summary and 3 or 1
local handles, ids, attempts = {}, {}, {}
for i = 4, #ARGV, stride do
  if redis.call("XACK", KEYS[1], ARGV[1], ARGV[i]) == 1 then
    handles[#handles + 1] = ARGV[i]
    if log.summary then
      ids[#ids + 1] = ARGV[i + 1]
      attempts[#attempts + 1] = ARGV[i + 2]
    end
  end
end
if #handles > 0 then
  callBatched("XDEL", KEYS[1], handles)
  recordOutcomes(log, ids, "delivered", attempts)
end
countMinute(log, "d:" .. ARGV[3], #handles)
return #handles
