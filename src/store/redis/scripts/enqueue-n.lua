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
                 id: its record is kept, the targets named go back to queued)
    member       its index member: received time (15 digits) .. id
    meta         its meta JSON (source, type, receivedAt, idempotencyKey, contentType)
    line         its state line with one queued delivery per target, in order
    body         "<headers JSON>\n<payload>", or "" when payloads are not kept
    key          its idempotency key as received, or "" for none

  Returns a flat array, two entries per webhook in order:
    ARGV id, 0        accepted and queued on every target
    original id, 1    a duplicate of a job accepted within the TTL: nothing is
                      queued; the log records it under the new id, in state
                      duplicate, pointing at the original
  Two webhooks with the same key in one batch: the first is queued, the second
  is its duplicate.

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
--@include "includes/event-trim.lua"

local ev = { index = KEYS[1], summary = KEYS[2], body = KEYS[3], byKey = KEYS[4], attempts = KEYS[5] }
local history = { history = KEYS[6] }
local maxEvents, retentionMs = tonumber(ARGV[1]), tonumber(ARGV[2])
local logOn = maxEvents > 0

-- Writes a record: `line` is its state line, `meta` its meta JSON.
local function writeRecord(id, member, line, meta, body, key)
  if redis.call("HEXISTS", ev.summary, id) == 1 then removeEvent(ev, id, nil) end
  redis.call("ZADD", ev.index, 0, member)
  redis.call("HSET", ev.summary, id, line .. "\n" .. meta)
  if body ~= "" then redis.call("HSET", ev.body, id, body) end
  if key ~= "" then redis.call("ZADD", ev.byKey, 0, keyMember(key, member)) end
end

-- Puts the targets of `line` back to queued in the record of `id`; false when it is gone.
local function requeueRecord(id, line)
  if redis.call("HEXISTS", ev.summary, id) == 0 then return false end
  local first = true
  for token in string.gmatch(line, "%S+") do
    if not first then
      local eq = string.find(token, "=", 1, true)
      if eq then setDeliveryState(ev.summary, id, string.sub(token, 1, eq - 1), "queued") end
    end
    first = false
  end
  return true
end

local out = {}
local accepted, duplicates, recorded = 0, 0, 0
local k, a = 7, 3
while a <= #ARGV do
  local key = KEYS[k]
  local dedupe = ARGV[a] == "1"
  local ttl, id, m = ARGV[a + 1], ARGV[a + 2], tonumber(ARGV[a + 3])
  local r = a + 4 + m
  local mode, member, meta, line, body, idemKey =
    ARGV[r], ARGV[r + 1], ARGV[r + 2], ARGV[r + 3], ARGV[r + 4], ARGV[r + 5]
  local existing = dedupe and redis.call("GET", key)
  if existing then
    out[#out + 1] = existing
    out[#out + 1] = 1
    if mode ~= "replay" then
      duplicates = duplicates + 1
      if logOn then
        local dupMeta = string.sub(meta, 1, -2) .. ',"duplicateOf":' .. cjson.encode(existing) .. "}"
        writeRecord(id, member, "duplicate", dupMeta, body, idemKey)
        recorded = recorded + 1
      end
    end
  else
    for t = 1, m do
      redis.call("XADD", KEYS[k + t], "*", "job", ARGV[a + 3 + t], "attempt", "0")
    end
    if dedupe then
      redis.call("SET", key, id, "PX", ttl)
    end
    if mode == "replay" then
      if logOn and not requeueRecord(id, line) then
        writeRecord(id, member, line, meta, body, idemKey)
        recorded = recorded + 1
      end
    else
      accepted = accepted + 1
      if logOn then
        writeRecord(id, member, line, meta, body, idemKey)
        recorded = recorded + 1
      end
    end
    out[#out + 1] = id
    out[#out + 1] = 0
  end
  k = k + 1 + m
  a = r + 6
end
countMinute(history, "accepted", accepted)
countMinute(history, "duplicates", duplicates)
if recorded > 0 then
  trimEvents(ev, 2 * recorded, nowMs(), maxEvents, retentionMs)
end
return out
