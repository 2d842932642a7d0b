#!lua flags=allow-oom
--[[
  Drop one batch of the events past the log's retention: those received before
  now - retention, then the oldest beyond the most events kept.

  KEYS[1]  the event log's index
  KEYS[2]  its summary hash
  KEYS[3]  its body hash
  KEYS[4]  its attempts hash
  KEYS[5]  its idempotency-key index

  ARGV[1]  the most events kept ("0": none, the log is off)
  ARGV[2]  retention in ms ("0": none)
  ARGV[3]  the most events to drop in this call

  Returns how many events it dropped; a caller that gets ARGV[3] back calls
  again. Age is judged on the Redis clock, as the enqueue script's trim is.

  Runs past maxmemory (allow-oom): it only deletes, and frees memory.
]]
--@include "includes/now-ms.lua"
--@include "includes/decode-json.lua"
--@include "includes/event-log.lua"
--@include "includes/event-trim.lua"

local ev = { index = KEYS[1], summary = KEYS[2], body = KEYS[3], attempts = KEYS[4], byKey = KEYS[5] }
return trimEvents(ev, tonumber(ARGV[3]), nowMs(), tonumber(ARGV[1]), tonumber(ARGV[2]))
