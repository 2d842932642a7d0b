--[[
  Read one event's record.

  KEYS[1]  the event log's summary hash
  KEYS[2]  its body hash
  KEYS[3]  its attempts hash

  ARGV[1]  the job id

  Returns {} when the event is not in the log, else
  { summary, body or "", target, attempts, target, attempts, … } with one pair
  per delivery (attempts "" when none were recorded).

  Read-only; one script so that the record is read at one instant.
]]
local summary = redis.call("HGET", KEYS[1], ARGV[1])
if not summary then
  return {}
end
local out = { summary, redis.call("HGET", KEYS[2], ARGV[1]) or "" }
local nl = string.find(summary, "\n", 1, true) or (#summary + 1)
for token in string.gmatch(string.sub(summary, 1, nl - 1), "%S+") do
  local eq = string.find(token, "=", 1, true)
  if eq then
    local target = string.sub(token, 1, eq - 1)
    out[#out + 1] = target
    out[#out + 1] = redis.call("HGET", KEYS[3], target .. ":" .. ARGV[1]) or ""
  end
end
return out
