-- Dropping events from the log (see redis/event-log.ts for the layout). `ev` is
-- { index =, summary =, body =, attempts =, byKey = }. Each call touches a
-- bounded number of events: its budget. Needs decode-json.lua and
-- event-log.lua (callBatched).

-- The idempotency-key index member of an event: "<key length>:<key>" then its index member.
local function keyMember(key, member)
  return tostring(#key) .. ":" .. key .. member
end

-- The idempotency key in summary `v`'s meta JSON, which starts at `from`
-- (false when it has none), found without copying or decoding the meta:
-- JSON.stringify writes the field as `,"idempotencyKey":"…"`, and text
-- holding `"idempotencyKey":` can only be that field (a quote inside a string
-- value is escaped). A key with an escape in it, or a meta written otherwise,
-- is decoded. nil when the meta does not decode.
local function idempotencyKeyOf(v, from)
  local at = string.find(v, ',"idempotencyKey":"', from, true)
  if at then
    local key = string.match(v, '^([^"\\]*)"', at + 19)
    if key then return key end
  elseif not string.find(v, '"idempotencyKey":', from, true) then
    return false
  end
  local decoded = decodeJson(string.sub(v, from))
  if not decoded then return nil end
  return type(decoded.idempotencyKey) == "string" and decoded.idempotencyKey or false
end

-- Adds to `fields` the attempts fields of the deliveries in summary `v`'s
-- state line: "<target>:<id>" for each token "<target>=<state>".
local function addAttemptFields(fields, v, nl, id)
  local name = string.match(v, "^[^%s=]+ ([^%s=]*)=%S*\n")
  if name then
    fields[#fields + 1] = name .. ":" .. id
    return
  end
  for token in string.gmatch(string.sub(v, 1, nl - 1), "%S+") do
    local eq = string.find(token, "=", 1, true)
    if eq then fields[#fields + 1] = string.sub(token, 1, eq - 1) .. ":" .. id end
  end
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
      local nl = string.find(v, "\n", 1, true) or (#v + 1)
      local member = members[i]
      if not member then
        local decoded = decodeJson(string.sub(v, nl + 1))
        if decoded and type(decoded.receivedAt) == "number" then
          member = string.format("%015.0f", decoded.receivedAt) .. id
          unindexed[#unindexed + 1] = member
        end
      end
      local key = idempotencyKeyOf(v, nl + 1)
      if member and key then keyMembers[#keyMembers + 1] = keyMember(key, member) end
      addAttemptFields(fields, v, nl, id)
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
