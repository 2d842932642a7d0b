--[[
  Accept webhooks: for each, deduplicate, enqueue one copy per target (the
  handlers' stream, and one delivery stream per destination its routes name)
  and record it in the event log, all in one atomic step. Ingest batches the
  webhooks accepted in one turn of the event loop into one call (one round
  trip, one script run); a batch may hold a single webhook.

  KEYS[1..6]  the event log's index, summary, body, idempotency-key index and
              attempts (see redis/event-log.ts), and this minute's history hash
  then, per webhook i in order: its idempotency key (any queue key when its
  dedupe flag is "0"), then the stream of each of its m_i targets. The number of
  keys is passed with each call.

  ARGV[1]  the most events the log keeps; "0" turns it off (nothing recorded,
           the history is still counted)
  ARGV[2]  the log's retention in ms ("0": none)
  then, per webhook i in order:
    dedupe flag  "1" to deduplicate on its idempotency key, "0" to accept without
    TTL          idempotency TTL in milliseconds
    id           the new job's id
    m            the number of targets (at least 1)
    job × m      the envelope for each target stream, in the order of KEYS
    mode         "new", or "replay" (an event of the log queued again under its
                 id: its record is kept, and each target named is queued again
                 unless its delivery is under way, see below)
    member       its index member: received time (15 digits) .. id
    summary      its summary: its state line with one queued delivery per
                 target, in order, "\n", its meta JSON (source, type,
                 receivedAt, idempotencyKey, contentType)
    body         "<headers JSON>\n<payload>", or "" when payloads are not kept
    key member   its member of the idempotency-key index, or "" for no key

  Returns a flat array, three entries per webhook in order:
    ARGV id, 0, queued     accepted; `queued` is "" for a new event, and for a
                           replay one character per target, "1" where it was
                           queued and "0" where it was skipped
    original id, 1, ""     a duplicate of a job accepted within the TTL: nothing
                           is queued; the log records it under the new id, in
                           state duplicate, pointing at the original
  Two webhooks with the same key in one batch: the first is queued, the second
  is its duplicate.

  A replay queues a target only when the log holds no record of the event
  (trimmed, or the log is off: every target, and the record is written anew),
  or when that target's delivery is delivered, dead or absent: one under way
  (queued, delivering, retrying) is skipped. The check and the queueing are
  this one step, so two replays at once queue one copy. A duplicate's record
  replayed becomes the record of an event of its own.

  Per webhook, the XADDs come before the SET, so there is never a key without its
  jobs (which would drop the provider's retry) nor a job without its key. Under
  noeviction, an OOM aborts the script at its first write, leaving nothing behind;
  once a script has written, Redis lets it finish, so a batch is stored whole or
  not at all, its records with it. (A batch of duplicates alone now writes too,
  its records and counts, so at maxmemory it is refused like any other.)

  The log is trimmed as it records: up to twice as many of the oldest events as
  this call added, beyond either bound (events.trim drops the rest).
]]
--@include "includes/now-ms.lua"
--@include "includes/event-log.lua"
--@include "includes/decode-json.lua"
--@include "includes/event-trim.lua"

local ev = { index = KEYS[1], summary = KEYS[2], body = KEYS[3], byKey = KEYS[4], attempts = KEYS[5] }
local history = { history = KEYS[6] }
local maxEvents, retentionMs = tonumber(ARGV[1]), tonumber(ARGV[2])
local logOn = maxEvents > 0

-- The records of this call not yet written: they are written together, one
-- command per key for all of them (see flushRecords).
local pending = { ids = {}, index = {}, summaries = {}, bodies = {}, byKey = {}, has = {} }

-- Writes the pending records. One recorded before under the same id (an
-- enqueue sent again) is removed first, so that it leaves no stale index entry.
local function flushRecords()
  local p = pending
  if #p.ids == 0 then return end
  local existing = callBatched("HMGET", ev.summary, p.ids)
  local again = {}
  for i, id in ipairs(p.ids) do
    if existing[i] then again[#again + 1] = id end
  end
  if #again > 0 then removeEvents(ev, again, {}) end
  callBatched("ZADD", ev.index, p.index)
  callBatched("HSET", ev.summary, p.summaries)
  if #p.bodies > 0 then callBatched("HSET", ev.body, p.bodies) end
  if #p.byKey > 0 then callBatched("ZADD", ev.byKey, p.byKey) end
  pending = { ids = {}, index = {}, summaries = {}, bodies = {}, byKey = {}, has = {} }
end

-- Records an event (see ARGV). Written with the call's other records
-- (flushRecords); when its id is already pending, those are written first, so
-- that the second record replaces the first as it would alone. The summary and
-- the key member come whole from the caller: each string made here would cost
-- a pass over its bytes.
local function writeRecord(id, member, summary, body, keyMember)
  if pending.has[id] then flushRecords() end
  local p = pending
  p.has[id] = true
  p.ids[#p.ids + 1] = id
  -- Scores as strings: Redis formats a number argument with printf.
  p.index[#p.index + 1] = "0"
  p.index[#p.index + 1] = member
  p.summaries[#p.summaries + 1] = id
  p.summaries[#p.summaries + 1] = summary
  if body ~= "" then
    p.bodies[#p.bodies + 1] = id
    p.bodies[#p.bodies + 1] = body
  end
  if keyMember ~= "" then
    p.byKey[#p.byKey + 1] = "0"
    p.byKey[#p.byKey + 1] = keyMember
  end
end

-- The target names of a state line, in order.
local function targetsOf(line)
  local names = {}
  for token in string.gmatch(line, "%S+") do
    local eq = string.find(token, "=", 1, true)
    if eq then names[#names + 1] = string.sub(token, 1, eq - 1) end
  end
  return names
end

local out = {}
local accepted, duplicates, recorded = 0, 0, 0
local k, a = 7, 3
while a <= #ARGV do
  local key = KEYS[k]
  local dedupe = ARGV[a] == "1"
  local ttl, id, m = ARGV[a + 1], ARGV[a + 2], tonumber(ARGV[a + 3])
  local r = a + 4 + m
  local mode, member, summary, body, keyMember =
    ARGV[r], ARGV[r + 1], ARGV[r + 2], ARGV[r + 3], ARGV[r + 4]
  local existing = dedupe and redis.call("GET", key)
  if existing then
    out[#out + 1] = existing
    out[#out + 1] = 1
    if mode ~= "replay" then
      duplicates = duplicates + 1
      if logOn then
        local meta = string.sub(summary, (string.find(summary, "\n", 1, true) or 0) + 1)
        local dupSummary = "duplicate\n" .. string.sub(meta, 1, -2) .. ',"duplicateOf":' ..
          cjson.encode(existing) .. "}"
        writeRecord(id, member, dupSummary, body, keyMember)
        recorded = recorded + 1
      end
    end
    out[#out + 1] = ""
  elseif mode == "replay" then
    -- A replay reads and rewrites records: those of this call first.
    flushRecords()
    local states, duplicate
    if logOn then states, duplicate = deliveryStates(ev.summary, id) end
    local kept = states ~= nil and not duplicate
    local names = targetsOf(string.match(summary, "^[^\n]*"))
    local queued, any = {}, false
    for t = 1, m do
      local state = kept and states[names[t]]
      if state and UNDER_WAY[state] then
        queued[t] = "0"
      else
        redis.call("XADD", KEYS[k + t], "*", "job", ARGV[a + 3 + t], "attempt", "0")
        if kept then setDeliveryState(ev.summary, id, names[t], "queued") end
        queued[t] = "1"
        any = true
      end
    end
    if dedupe and any then
      redis.call("SET", key, id, "PX", ttl)
    end
    if logOn and not kept then
      writeRecord(id, member, summary, body, keyMember)
      recorded = recorded + 1
    end
    out[#out + 1] = id
    out[#out + 1] = 0
    out[#out + 1] = table.concat(queued)
  else
    for t = 1, m do
      redis.call("XADD", KEYS[k + t], "*", "job", ARGV[a + 3 + t], "attempt", "0")
    end
    if dedupe then
      redis.call("SET", key, id, "PX", ttl)
    end
    accepted = accepted + 1
    if logOn then
      writeRecord(id, member, summary, body, keyMember)
      recorded = recorded + 1
    end
    out[#out + 1] = id
    out[#out + 1] = 0
    out[#out + 1] = ""
  end
  k = k + 1 + m
  a = r + 5
end
flushRecords()
countMinute(history, "accepted", accepted)
countMinute(history, "duplicates", duplicates)
if recorded > 0 then
  trimEvents(ev, 2 * recorded, nowMs(), maxEvents, retentionMs)
end
return out
