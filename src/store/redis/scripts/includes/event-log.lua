-- Recording outcomes in the event log and the per-minute history (see
-- redis/event-log.ts for the layout). An event's summary is
--   "<event state> <target>=<state> <target>=<state>…\n<meta JSON>"
-- (a suppressed duplicate's line is "duplicate"), so that an outcome rewrites
-- one short line and never decodes the meta, the payload or the attempts.
-- Target names hold no space, "=" or ":" (destination names are [a-z0-9_-]).
-- A delivery's attempts are one hash field, "<target>:<id>", holding one JSON
-- object a line, oldest first; JSON text holds no raw newline.
-- `log` is nil when the log is off, else { summary =, attempts =, history =,
-- target = } (history alone may be set: the counters are kept regardless).

local MAX_RECORDED_ATTEMPTS = 25
local MAX_ERROR_BYTES = 2048
-- Arguments per command of callBatched: Lua's unpack is bounded by its C stack.
local BATCH_ARGS = 512

-- Runs `cmd key args…` over `args` in as few calls as the unpack bound allows:
-- one command for a batch of fields costs Redis far less than a command per
-- field. BATCH_ARGS is even, so no field is split from its value. Returns the
-- replies' elements in order when `cmd` answers an array (HMGET).
local function callBatched(cmd, key, args)
  if #args <= BATCH_ARGS then
    local reply = redis.call(cmd, key, unpack(args))
    return type(reply) == "table" and reply or {}
  end
  local out = {}
  for i = 1, #args, BATCH_ARGS do
    local reply = redis.call(cmd, key, unpack(args, i, math.min(i + BATCH_ARGS - 1, #args)))
    if type(reply) == "table" then
      for j = 1, #reply do out[#out + 1] = reply[j] end
    end
  end
  return out
end

-- The delivery states that set the event's, the first one any delivery is in
-- (see eventState in event-log.ts); with none of them, it is delivered.
local FOLD_ORDER = { "dead", "retrying", "delivering", "queued" }
local FOLDS_TO = { dead = "dead", retrying = "retrying", delivering = "delivering", queued = "queued" }

-- The event's state from its deliveries'.
local function foldedState(states)
  local n = #states
  if n == 0 then return "queued" end
  if n == 1 then return FOLDS_TO[states[1]] or "delivered" end
  for i = 1, #FOLD_ORDER do
    local s = FOLD_ORDER[i]
    for j = 1, n do
      if states[j] == s then return s end
    end
  end
  return "delivered"
end

-- A delivery in one of these states is under way: a replay of it would put a
-- second copy beside the first.
local UNDER_WAY = { queued = true, delivering = true, retrying = true }

-- The states of event `id`'s deliveries by target, and whether the record is
-- a suppressed duplicate's (which has none); nil when the record is gone.
local function deliveryStates(summaryKey, id)
  local v = redis.call("HGET", summaryKey, id)
  if not v then return nil, false end
  local nl = string.find(v, "\n", 1, true) or (#v + 1)
  local states, first, duplicate = {}, true, false
  for token in string.gmatch(string.sub(v, 1, nl - 1), "%S+") do
    if first then
      duplicate = token == "duplicate"
      first = false
    else
      local eq = string.find(token, "=", 1, true)
      if eq then states[string.sub(token, 1, eq - 1)] = string.sub(token, eq + 1) end
    end
  end
  return states, duplicate
end

-- Summary `v` with `target`'s delivery set to `state` (added when missing);
-- nil when it is to be left alone: a duplicate's, or `from` is given and the
-- delivery's state is not one of its keys. A line of one delivery, the usual
-- case, is matched whole: string work is most of what an outcome costs here.
local function withDeliveryState(v, target, state, from)
  local head, name, s = string.match(v, "^(%S+) ([^%s=]*)=(%S*)\n")
  if head == "duplicate" then return nil end
  if head and name == target then
    if from and not from[s] then return nil end
    return (FOLDS_TO[state] or "delivered") .. " " .. name .. "=" .. state ..
      string.sub(v, (string.find(v, "\n", 1, true)))
  end
  local nl = string.find(v, "\n", 1, true) or (#v + 1)
  local line = string.sub(v, 1, nl - 1)
  local _, headEnd, first = string.find(line, "^%s*(%S*)")
  if first == "duplicate" then return nil end
  local parts, states = { "" }, {}
  local found = false
  -- Each token "name=state" after the first (the event's state); others are dropped.
  for each, was in string.gmatch(string.sub(line, headEnd + 1), "%s([^%s=]*)=(%S*)") do
    if each == target then
      if from and not from[was] then return nil end
      was = state
      found = true
    end
    states[#states + 1] = was
    parts[#parts + 1] = each .. "=" .. was
  end
  if not found then
    if from then return nil end
    states[#states + 1] = state
    parts[#parts + 1] = target .. "=" .. state
  end
  parts[1] = foldedState(states)
  return table.concat(parts, " ") .. string.sub(v, nl)
end

-- Sets `target`'s delivery of event `id` to `state` (adding it when missing).
-- Leaves the record alone when it is gone (trimmed: never recreated), when it
-- is a duplicate's, or when `from` is given and the delivery's state is not
-- one of its keys. Returns true when it wrote.
local function setDeliveryState(summaryKey, id, target, state, from)
  local v = redis.call("HGET", summaryKey, id)
  if not v then return false end
  local updated = withDeliveryState(v, target, state, from)
  if not updated then return false end
  redis.call("HSET", summaryKey, id, updated)
  return true
end

-- setDeliveryState for each of `ids` at once: one read and one write for all
-- of them. Returns, per id, true when it wrote. An id listed twice would have
-- its second change computed from the record before the first: such a list
-- is set one id at a time, in order, instead.
local function setDeliveryStates(summaryKey, ids, target, state, from)
  local wrote = {}
  if #ids == 0 then return wrote end
  local seen = {}
  for _, id in ipairs(ids) do
    if seen[id] then
      for i, each in ipairs(ids) do wrote[i] = setDeliveryState(summaryKey, each, target, state, from) end
      return wrote
    end
    seen[id] = true
  end
  local values = callBatched("HMGET", summaryKey, ids)
  local writes = {}
  for i, id in ipairs(ids) do
    local updated = values[i] and withDeliveryState(values[i], target, state, from)
    wrote[i] = updated and true or false
    if updated then
      writes[#writes + 1] = id
      writes[#writes + 1] = updated
    end
  end
  if #writes > 0 then callBatched("HSET", summaryKey, writes) end
  return wrote
end

-- A delivery's attempts `old` (nil: none yet) with `attempt` appended, keeping
-- the latest MAX_RECORDED_ATTEMPTS.
local function withAttempt(old, attempt)
  local all = old and (old .. "\n" .. attempt) or attempt
  local lines, pos = 1, 1
  for _ = 1, MAX_RECORDED_ATTEMPTS do
    pos = string.find(all, "\n", pos, true)
    if not pos then break end
    lines = lines + 1
    pos = pos + 1
  end
  if lines > MAX_RECORDED_ATTEMPTS then
    all = string.sub(all, string.find(all, "\n", 1, true) + 1)
  end
  return all
end

-- Appends one attempt (a JSON object) to a delivery's.
local function appendAttempt(attemptsKey, id, target, attempt)
  local field = target .. ":" .. id
  redis.call("HSET", attemptsKey, field, withAttempt(redis.call("HGET", attemptsKey, field), attempt))
end

-- `text` cut to MAX_ERROR_BYTES, never inside a UTF-8 sequence.
local function truncatedError(text)
  if #text <= MAX_ERROR_BYTES then return text end
  local cut = MAX_ERROR_BYTES
  while cut > 0 do
    local b = string.byte(text, cut + 1)
    if b < 0x80 or b >= 0xC0 then break end
    cut = cut - 1
  end
  return string.sub(text, 1, cut)
end

-- The attempt of a run found lost (or a hand-back that counted), at `now`.
local function lostAttempt(now, err)
  return string.format('{"at":%.0f,"outcome":"lost","error":%s}', now,
    cjson.encode(truncatedError(err)))
end

-- Records an outcome of `target`'s delivery of event `id`: its new state and,
-- when given, an attempt. Nothing when the log is off or the record is gone.
local function recordOutcome(log, id, state, attempt)
  if not log or not log.summary or not id or id == "" then return end
  if setDeliveryState(log.summary, id, log.target, state) and attempt and attempt ~= "" then
    appendAttempt(log.attempts, id, log.target, attempt)
  end
end

-- recordOutcome for several deliveries of `log.target` at once, `attempts[i]`
-- being the attempt of event `ids[i]`: a few commands for all of them.
local function recordOutcomes(log, ids, state, attempts)
  if not log or not log.summary then return end
  local named, namedAttempts = {}, {}
  for i, id in ipairs(ids) do
    if id and id ~= "" then
      named[#named + 1] = id
      namedAttempts[#named] = attempts[i]
    end
  end
  local wrote = setDeliveryStates(log.summary, named, log.target, state)
  local fields, added, seen = {}, {}, {}
  for i, id in ipairs(named) do
    local attempt = namedAttempts[i]
    if wrote[i] and attempt and attempt ~= "" then
      local field = log.target .. ":" .. id
      if seen[field] then
        -- Listed twice: append in order, one at a time.
        for j, each in ipairs(named) do
          if wrote[j] and namedAttempts[j] and namedAttempts[j] ~= "" then
            appendAttempt(log.attempts, each, log.target, namedAttempts[j])
          end
        end
        return
      end
      seen[field] = true
      fields[#fields + 1] = field
      added[#added + 1] = attempt
    end
  end
  if #fields == 0 then return end
  local old = callBatched("HMGET", log.attempts, fields)
  local writes = {}
  for i, field in ipairs(fields) do
    writes[#writes + 1] = field
    writes[#writes + 1] = withAttempt(old[i] or nil, added[i])
  end
  callBatched("HSET", log.attempts, writes)
end

-- Adds `n` to a counter of the minute whose hash is `log.history`
-- ("…:<minute ms>"); the hash expires a day after its minute ends.
local function countMinute(log, field, n)
  if not log or not log.history or n == 0 then return end
  redis.call("HINCRBY", log.history, field, n)
  local minute = tonumber(string.match(log.history, ":(%d+)$"))
  if minute then redis.call("PEXPIREAT", log.history, minute + 60000 + 86400000) end
end

-- A job's id from its envelope without decoding it (the payload can be large):
-- every envelope this service writes starts with its id; others are decoded.
local function jobIdOf(job)
  if not job then return nil end
  local id = string.match(job, '^{"id":"([^"\\]*)"')
  if id then return id end
  local ok, env = pcall(cjson.decode, job)
  if ok and type(env) == "table" and type(env.id) == "string" then return env.id end
  return nil
end
