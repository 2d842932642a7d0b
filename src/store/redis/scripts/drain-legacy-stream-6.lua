--[[
  One step of draining the job stream of the older key layout, `{QUEUE_NAME}`,
  into the job stream, `QUEUE_NAME`, while instances of the older version may
  still be reading and writing it (see legacy-stream.ts for why this shape).

  KEYS[1]  the older layout's job stream
  KEYS[2]  the job stream
  KEYS[3]  the dead-letter stream
  KEYS[4]  the event log's summary hash
  KEYS[5]  the event log's attempts hash
  KEYS[6]  this minute's history hash

  ARGV[1]  the consumer group
  ARGV[2]  the most entries of each kind to move in this call
  ARGV[3]  the reclaim idle time in milliseconds, or "0" to move only
           undelivered entries and never remove the older stream
  ARGV[4]  the most attempts a job may have (MAX_RETRIES + 1)
  ARGV[5]  the error text recorded for a lost attempt
  ARGV[6]  how long, in milliseconds, every consumer of the older stream must have
           been idle before the stream may be removed
  ARGV[7]  "1" when the event log is on, else "0"

  Returns { moved, requeued, dead-lettered, { ids deleted while pending }, state }:
    moved          undelivered entries, moved with their fields as they were
    requeued       entries pending longer than ARGV[3] (their consumer stopped),
                   moved with the lost run counted as an attempt (and recorded in
                   the event log, as the handlers' delivery), as reclaim-5.lua does
    dead-lettered  such entries that had no attempts left, now in the DLQ
    ids            such entries whose data was gone; dropped from the pending list
    state          0 there is no older stream, 1 it remains, 2 it was drained and
                   has just been removed
  A caller that gets ARGV[2] back as moved, or as requeued + dead-lettered + ids,
  should call again.

  Undelivered entries are those after the group's last-delivered id: no consumer
  has them, nothing refers to their ids, so each moves with a new id. An entry
  delivered and still pending is left to its consumer (it acknowledges or retries
  by that id in the older stream) until it has been idle for the reclaim idle
  time; then it is taken exactly as a reclaim would take it. Entries at or
  before the last-delivered id and not pending were completed: they never move.
  Retries and dead letters refer to jobs by job id, in keys both layouts share,
  so no stored reference changes.

  The older stream is removed only when it holds nothing undelivered, nothing is
  pending, and every consumer of its group has been idle for ARGV[6]. Redis 7.0
  refreshes a consumer's idle time only when a read returns entries, so a running
  older instance with nothing to do looks idle too; the caller passes a long time
  (an hour). An older instance blocked on the stream when it goes fails that read
  once and recreates the stream; whatever it writes there is drained as before.
]]
--@include "includes/now-ms.lua"
--@include "includes/decode-json.lua"
--@include "includes/add-dead-letter.lua"
--@include "includes/event-log.lua"
--@include "includes/requeue-lost.lua"

local old, stream, dlq = KEYS[1], KEYS[2], KEYS[3]
local group = ARGV[1]
local count = tonumber(ARGV[2])
local idleMs = tonumber(ARGV[3])
local log = { history = KEYS[6], target = "handlers" }
if ARGV[7] == "1" then
  log.summary, log.attempts = KEYS[4], KEYS[5]
end

-- A key of another type under that name is not ours: leave it alone.
if redis.call("TYPE", old).ok ~= "stream" then
  return { 0, 0, 0, {}, 0 }
end

-- The value of `name` in a flat field list (XINFO replies).
local function field(list, name)
  for i = 1, #list, 2 do
    if list[i] == name then return list[i + 1] end
  end
  return nil
end

local lastDelivered
for _, g in ipairs(redis.call("XINFO", "GROUPS", old)) do
  if field(g, "name") == group then lastDelivered = field(g, "last-delivered-id") end
end

local requeued, dead, missing = 0, 0, {}
if lastDelivered and idleMs > 0 then
  local now = nowMs()
  local maxAttempts = tonumber(ARGV[4])
  for _, p in ipairs(redis.call("XPENDING", old, group, "IDLE", idleMs, "-", "+", count)) do
    local id = p[1]
    local entry = redis.call("XRANGE", old, id, id)
    redis.call("XACK", old, group, id)
    redis.call("XDEL", old, id)
    if #entry == 0 or type(entry[1][2]) ~= "table" then
      missing[#missing + 1] = id
    elseif requeueLost(stream, dlq, entry[1][2], maxAttempts, ARGV[5], now, log) == "dead" then
      dead = dead + 1
    else
      requeued = requeued + 1
    end
  end
end

-- Without the group, no consumer ever read the stream: every entry is undelivered.
local after = lastDelivered and ("(" .. lastDelivered) or "-"
local waiting = redis.call("XRANGE", old, after, "+", "COUNT", count)
if #waiting > 0 and not ({ none = true, stream = true })[redis.call("TYPE", stream).ok] then
  return redis.error_reply("WRONGTYPE the job stream " .. stream .. " is not a stream")
end
for _, e in ipairs(waiting) do
  -- XDEL first: at maxmemory (noeviction) Redis refuses a script whose first write
  -- needs memory, and this move is how an upgraded queue drains there.
  redis.call("XDEL", old, e[1])
  redis.call("XADD", stream, "*", unpack(e[2]))
end

-- At maxmemory start-up cannot create the group (XGROUP CREATE needs memory); once
-- this script has written it may, and without it the moved jobs would wait for memory
-- that only running them frees.
if #waiting + requeued > 0 then
  local joined = false
  for _, g in ipairs(redis.call("XINFO", "GROUPS", stream)) do
    if field(g, "name") == group then joined = true end
  end
  if not joined then redis.call("XGROUP", "CREATE", stream, group, "0") end
end

local state = 1
if idleMs > 0 and #redis.call("XRANGE", old, after, "+", "COUNT", 1) == 0 then
  local drained = true
  if lastDelivered then
    drained = tonumber(redis.call("XPENDING", old, group)[1]) == 0
    for _, c in ipairs(drained and redis.call("XINFO", "CONSUMERS", old, group) or {}) do
      if tonumber(field(c, "idle")) < tonumber(ARGV[6]) then drained = false end
    end
  end
  if drained then
    redis.call("DEL", old)
    state = 2
  end
end
return { #waiting, requeued, dead, missing, state }
