-- Dropping events from the log (see redis/event-log.ts for the layout). `ev` is
-- { index =, summary =, body =, attempts =, byKey = }. Each call touches a
-- bounded number of events: its budget. Needs decode-json.lua.

-- The idempotency-key index member of an event: "<key length>:<key>" then its index member.
local function keyMember(key, member)
  return tostring(#key) .. ":" .. key .. member
end

-- Removes event `id` whose index member is `member` (nil: read from its meta),
-- with its summary, body, attempts and key index entry.
local function removeEvent(ev, id, member)
  local v = redis.call("HGET", ev.summary, id)
  if v then
    local nl = string.find(v, "\n", 1, true)
    local line = nl and string.sub(v, 1, nl - 1) or v
    local meta = decodeJson(nl and string.sub(v, nl + 1) or "")
    if meta then
      if not member and type(meta.receivedAt) == "number" then
        member = string.format("%015.0f", meta.receivedAt) .. id
      end
      if member and type(meta.idempotencyKey) == "string" then
        redis.call("ZREM", ev.byKey, keyMember(meta.idempotencyKey, member))
      end
    end
    local fields = {}
    for token in string.gmatch(line, "%S+") do
      local eq = string.find(token, "=", 1, true)
      if eq then fields[#fields + 1] = string.sub(token, 1, eq - 1) .. ":" .. id end
    end
    if #fields > 0 then redis.call("HDEL", ev.attempts, unpack(fields)) end
    redis.call("HDEL", ev.summary, id)
    redis.call("HDEL", ev.body, id)
  end
  if member then redis.call("ZREM", ev.index, member) end
end

-- Drops up to `budget` of the oldest events: first those received before
-- `now - retentionMs`, then those beyond `maxEvents` (0: all of them). Returns
-- how many it dropped.
local function trimEvents(ev, budget, now, maxEvents, retentionMs)
  local dropped = 0
  if budget <= 0 then return 0 end
  local floor = now - retentionMs
  if retentionMs > 0 and floor > 0 then
    local old = redis.call("ZRANGEBYLEX", ev.index, "-", "(" .. string.format("%015.0f", floor),
      "LIMIT", 0, budget)
    for _, member in ipairs(old) do
      removeEvent(ev, string.sub(member, 16), member)
    end
    dropped = #old
  end
  local over = redis.call("ZCARD", ev.index) - maxEvents
  if over > 0 and dropped < budget then
    local n = math.min(over, budget - dropped)
    for _, member in ipairs(redis.call("ZRANGE", ev.index, 0, n - 1)) do
      removeEvent(ev, string.sub(member, 16), member)
      dropped = dropped + 1
    end
  end
  return dropped
end
