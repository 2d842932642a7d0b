-- Dropping events from the log (see redis/event-log.ts for the layout). `ev` is
-- { index =, summary =, body =, attempts =, byKey = }. Each call touches a
-- bounded number of events: its budget. Needs decode-json.lua and
-- event-log.lua (callBatched).

-- The idempotency-key index member of an event: "<key length>:<key>" then its index member.
local function keyMember(key, member)
  return tostring(#key) .. ":" .. key .. member
end

-- The idempotency key in meta JSON `meta` (false when it has none), read
-- without decoding it: JSON.stringify writes the field as
-- `,"idempotencyKey":"…"`, and text holding `"idempotencyKey":` can only be
-- that field (a quote inside a string value is escaped). A key with an escape
-- in it is decoded. nil when the meta does not decode.
local function idempotencyKeyOf(meta)
  if not string.find(meta, '"idempotencyKey":', 1, true) then return false end
  local key = string.match(meta, ',"idempotencyKey":"([^"\\]*)"')
  if key then return key end
  local decoded = decodeJson(meta)
  if not decoded then return nil end
  return type(decoded.idempotencyKey) == "string" and decoded.idempotencyKey or false
end

-- Removes the events `ids` with their summary, body, attempts and key index
-- entries, a few commands for all of them. `members[i]` is event `ids[i]`'s
-- index member, or nil to read it from its meta (then its index entry is
-- removed here too). The index entries given are left to the caller, which
-- may remove a run of them at once (see trimEvents).
local function removeEvents(ev, ids, members)
  if #ids == 0 then return end
  local values = callBatched("HMGET", ev.summary, ids)
  local keyMembers, fields, unindexed = {}, {}, {}
  for i, id in ipairs(ids) do
    local v = values[i]
    if v then
      local nl = string.find(v, "\n", 1, true)
      local line = nl and string.sub(v, 1, nl - 1) or v
      local meta = nl and string.sub(v, nl + 1) or ""
      local member = members[i]
      if not member then
        local decoded = decodeJson(meta)
        if decoded and type(decoded.receivedAt) == "number" then
          member = string.format("%015.0f", decoded.receivedAt) .. id
          unindexed[#unindexed + 1] = member
        end
      end
      local key = idempotencyKeyOf(meta)
      if member and key then keyMembers[#keyMembers + 1] = keyMember(key, member) end
      for token in string.gmatch(line, "%S+") do
        local eq = string.find(token, "=", 1, true)
        if eq then fields[#fields + 1] = string.sub(token, 1, eq - 1) .. ":" .. id end
      end
    end
  end
  if #keyMembers > 0 then callBatched("ZREM", ev.byKey, keyMembers) end
  if #fields > 0 then callBatched("HDEL", ev.attempts, fields) end
  callBatched("HDEL", ev.summary, ids)
  callBatched("HDEL", ev.body, ids)
  if #unindexed > 0 then callBatched("ZREM", ev.index, unindexed) end
end

-- Removes the events whose index members are `members`, index entries and all.
local function removeIndexed(ev, members)
  local ids = {}
  for i, member in ipairs(members) do ids[i] = string.sub(member, 16) end
  removeEvents(ev, ids, members)
end

-- Drops up to `budget` of the oldest events: first those received before
-- `now - retentionMs`, then those beyond `maxEvents` (0: all of them). Returns
-- how many it dropped. Either way they are the first members of the index,
-- removed by rank in one command.
local function trimEvents(ev, budget, now, maxEvents, retentionMs)
  local dropped = 0
  if budget <= 0 then return 0 end
  local floor = now - retentionMs
  if retentionMs > 0 and floor > 0 then
    local old = redis.call("ZRANGEBYLEX", ev.index, "-", "(" .. string.format("%015.0f", floor),
      "LIMIT", 0, budget)
    dropped = #old
  end
  local over = redis.call("ZCARD", ev.index) - dropped - maxEvents
  if over > 0 and dropped < budget then dropped = dropped + math.min(over, budget - dropped) end
  if dropped == 0 then return 0 end
  removeIndexed(ev, redis.call("ZRANGE", ev.index, 0, dropped - 1))
  redis.call("ZREMRANGEBYRANK", ev.index, 0, dropped - 1)
  return dropped
end
