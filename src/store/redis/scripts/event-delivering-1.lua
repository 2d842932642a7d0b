#!lua flags=allow-oom
--[[
  Record claimed deliveries as delivering in the event log, right after the
  read that claimed them (XREADGROUP cannot run in a script).

  KEYS[1]  the event log's summary hash

  ARGV[1]     the target of these deliveries (a destination, or "handlers")
  ARGV[2..n]  their job ids

  Returns how many records changed.

  Only a delivery that is queued or retrying moves: the claim waits for this
  before handing the jobs out, so it lands before their outcomes, and should
  one ever land first, this cannot undo it. A record no longer in the log is
  not recreated.

  Runs past maxmemory (allow-oom): claiming is how the queue drains, and this
  only rewrites a few bytes of records that exist.
]]
--@include "includes/event-log.lua"

local ids = {}
for i = 2, #ARGV do ids[#ids + 1] = ARGV[i] end
local changed = 0
for _, wrote in ipairs(setDeliveryStates(KEYS[1], ids, ARGV[1], "delivering", { queued = true, retrying = true })) do
  if wrote then changed = changed + 1 end
end
return changed
