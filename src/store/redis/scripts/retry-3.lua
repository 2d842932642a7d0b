--[[
  Schedule a failed job for a later attempt: move it from "in progress" to
  "waiting for retry" in one step.

  KEYS[1]  the job stream
  KEYS[2]  the retry schedule (sorted set: job id -> due time in ms)
  KEYS[3]  the retry payloads (hash: job id -> JSON {job, attempt, err})

  ARGV[1]  the consumer group
  ARGV[2]  the stream entry id being retried
  ARGV[3]  the job id
  ARGV[4]  delay in milliseconds
  ARGV[5]  failed attempts so far, including this one
  ARGV[6]  the last error message

  Returns 1 when scheduled, 0 when the entry was no longer pending (reclaimed
  meanwhile: its new copy carries on and nothing is written here).

  The due time comes from the Redis clock, so instances with skewed clocks agree.
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
  return 0
end
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call("HSET", KEYS[3], ARGV[3], cjson.encode({ job = job, attempt = ARGV[5], err = ARGV[6] }))
redis.call("ZADD", KEYS[2], now + tonumber(ARGV[4]), ARGV[3])
return 1
