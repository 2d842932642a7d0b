--[[
  Return due retries to the job stream.

  KEYS[1]  the job stream
  KEYS[2]  the retry schedule (sorted set: job id -> due time in ms)
  KEYS[3]  the retry payloads (hash: job id -> JSON {job, attempt, err, handbacks})

  ARGV[1]  the most jobs to move in this call

  Returns the number of jobs moved. A caller that gets ARGV[1] back should call
  again at once; there may be more due.

  Every instance runs this on a timer; the script is atomic, so a job is moved
  once however many instances race for it.

  Each job leaves the schedule before it is added to the stream. At maxmemory
  (noeviction) Redis refuses a script whose first write needs memory (XADD),
  but lets a script finish once it has written; removing first makes the move
  work at the limit, where it takes about as much as it frees. Otherwise
  retries would wait for memory that only finishing jobs frees.
]]
--@include "includes/now-ms.lua"

local now = nowMs()
local due = redis.call("ZRANGEBYSCORE", KEYS[2], "-inf", now, "LIMIT", 0, tonumber(ARGV[1]))
for _, id in ipairs(due) do
  local raw = redis.call("HGET", KEYS[3], id)
  local r = raw and cjson.decode(raw)
  redis.call("ZREM", KEYS[2], id)
  redis.call("HDEL", KEYS[3], id)
  if r then
    redis.call("XADD", KEYS[1], "*", "job", r.job, "attempt", tostring(r.attempt), "err", r.err or "",
      "handbacks", tostring(r.handbacks or "0"))
  end
end
return #due
