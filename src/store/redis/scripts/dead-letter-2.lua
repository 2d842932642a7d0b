--[[
  Move a job that will not be retried from "in progress" to the dead-letter queue.

  KEYS[1]  the job stream
  KEYS[2]  the dead-letter stream

  ARGV[1]  the consumer group
  ARGV[2]  the stream entry id
  ARGV[3]  attempts made in all
  ARGV[4]  the last error message

  Returns 1 when moved, 0 when the entry was no longer pending (reclaimed
  meanwhile; its new copy carries on).

  Besides the job, the DLQ entry carries the job's id, type, source and
  received time as fields of their own, read from the envelope here (a rare
  step), so that listing and filtering the DLQ never decode payloads.
]]
local entry = redis.call("XRANGE", KEYS[1], ARGV[2], ARGV[2])
if redis.call("XACK", KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return 0
end
redis.call("XDEL", KEYS[1], ARGV[2])
if #entry == 0 then
  return 0
end
local fields = entry[1][2]
local job
for i = 1, #fields, 2 do
  if fields[i] == "job" then job = fields[i + 1] end
end
if not job then
  -- Not written by this service: keep whatever it held for an operator to see.
  job = cjson.encode(fields)
end
local ok, env = pcall(cjson.decode, job)
if not ok or type(env) ~= "table" then env = {} end
local function text(v) return type(v) == "string" and v or "" end
local received = type(env.receivedAt) == "number" and string.format("%.0f", env.receivedAt) or "0"
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call("XADD", KEYS[2], "*", "job", job, "attempts", ARGV[3], "err", ARGV[4], "failed_at", tostring(now),
  "job_id", text(env.id), "type", text(env.type), "source", text(env.source), "received_at", received)
return 1
