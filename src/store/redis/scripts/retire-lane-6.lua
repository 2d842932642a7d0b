--[[
  Dead-letter one batch of the deliveries of a destination that is no longer
  configured, and remove its queue once nothing is left in it.

  KEYS[1]  the destination's delivery stream
  KEYS[2]  its retry schedule (sorted set: job id -> due time in ms)
  KEYS[3]  its retry payloads (hash: job id -> JSON {job, attempt, err, handbacks})
  KEYS[4]  the dead-letter stream
  KEYS[5]  the event log's summary hash
  KEYS[6]  this minute's history hash

  ARGV[1]  the consumer group
  ARGV[2]  idle time in ms after which an in-progress delivery is taken
  ARGV[3]  the most deliveries to move in this call
  ARGV[4]  the last error recorded on each dead letter
  ARGV[5]  "1" when the event log is on, else "0"
  ARGV[6]  the destination's name (the target of its deliveries in the log)

  Returns { moved, held, removed, more }: deliveries moved to the DLQ by this
  call; in-progress deliveries left because their holder was active within
  ARGV[2] (an older instance that still has the destination may be delivering
  them); 1 when the queue's keys were deleted (nothing left in it), else 0; 1
  when the batch was full, so that the caller calls again at once.

  Taken: every scheduled retry, every waiting entry (after the group's last
  delivered id, or all of them when the stream has no group), and pending
  entries idle at least ARGV[2]. A pending entry counts its lost run as an
  attempt, as a reclaim does. A pending entry whose data was deleted is only
  acknowledged: there is nothing to keep. Each delivery moved is recorded dead in
  the event log, and counted in the minute's dead letters.
]]
--@include "includes/now-ms.lua"
--@include "includes/decode-json.lua"
--@include "includes/add-dead-letter.lua"
--@include "includes/event-log.lua"

local stream, delayed, delayedData, dlq = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local group, idleMs, budget, err = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local now = nowMs()
local moved, taken = 0, 0
local log = { history = KEYS[6], target = ARGV[6] }
if ARGV[5] == "1" then
  log.summary = KEYS[5]
end

-- Moves one delivery to the DLQ and records it dead.
local function deadLetter(job, attempts)
  recordOutcome(log, addDeadLetter(dlq, job, attempts, err, now), "dead")
  moved = moved + 1
end

local function fieldOf(fields, name)
  for i = 1, #fields, 2 do
    if fields[i] == name then return fields[i + 1] end
  end
  return nil
end

-- Not written by this service (no job field): keep whatever it held for an operator to see.
local function jobOf(fields)
  return fieldOf(fields, "job") or cjson.encode(fields)
end

for _, id in ipairs(redis.call("ZRANGE", delayed, 0, budget - 1)) do
  local raw = redis.call("HGET", delayedData, id)
  redis.call("ZREM", delayed, id)
  redis.call("HDEL", delayedData, id)
  taken = taken + 1
  local ok, r = pcall(cjson.decode, raw or "")
  if ok and type(r) == "table" and type(r.job) == "string" then
    deadLetter(r.job, tonumber(r.attempt) or 0)
  end
end

local hasStream = redis.call("EXISTS", stream) == 1
local hasGroup = false
local lastDelivered = "0-0"
if hasStream then
  for _, g in ipairs(redis.call("XINFO", "GROUPS", stream)) do
    if fieldOf(g, "name") == group then
      hasGroup = true
      lastDelivered = fieldOf(g, "last-delivered-id")
    end
  end
end

if hasStream and taken < budget then
  local waiting = redis.call("XRANGE", stream, "(" .. lastDelivered, "+", "COUNT", budget - taken)
  for _, e in ipairs(waiting) do
    redis.call("XDEL", stream, e[1])
    deadLetter(jobOf(e[2]), tonumber(fieldOf(e[2], "attempt")) or 0)
    taken = taken + 1
  end
end

local held = 0
if hasGroup then
  local idle = {}
  if taken < budget then
    idle = redis.call("XPENDING", stream, group, "IDLE", idleMs, "-", "+", budget - taken)
  end
  for _, p in ipairs(idle) do
    local id = p[1]
    taken = taken + 1
    local entry = redis.call("XRANGE", stream, id, id)[1]
    redis.call("XACK", stream, group, id)
    redis.call("XDEL", stream, id)
    if entry and entry[2] then
      local attempts = (tonumber(fieldOf(entry[2], "attempt")) or 0) + 1
      deadLetter(jobOf(entry[2]), attempts)
    end
  end
  held = redis.call("XPENDING", stream, group)[1]
end

countMinute(log, "dead", moved)

local removed = 0
if taken < budget and held == 0 and redis.call("ZCARD", delayed) == 0 then
  local left = hasStream and
    #redis.call("XRANGE", stream, "(" .. lastDelivered, "+", "COUNT", 1) or 0
  if left == 0 then
    redis.call("DEL", stream, delayed, delayedData)
    removed = 1
  end
end
return { moved, held, removed, taken >= budget and 1 or 0 }
