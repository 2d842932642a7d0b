--[[
  Remove consumers of stopped instances from the group. Every process joins
  under a fresh name, so without this the group keeps one consumer per restart.

  KEYS[1]  the job stream

  ARGV[1]  the consumer group
  ARGV[2]  idle time in milliseconds after which an empty consumer is removed
  ARGV[3]  the calling consumer's name (never removed)

  Returns the number of consumers removed.

  Only consumers with nothing pending are removed (XGROUP DELCONSUMER would drop
  their pending entries), and the check and the removal are one atomic step, so
  a consumer cannot take a job between them.
]]
local removed = 0
local consumers = redis.call("XINFO", "CONSUMERS", KEYS[1], ARGV[1])
local minIdle = tonumber(ARGV[2])
for _, c in ipairs(consumers) do
  local name, pending, idle
  for i = 1, #c, 2 do
    if c[i] == "name" then name = c[i + 1] end
    if c[i] == "pending" then pending = tonumber(c[i + 1]) end
    if c[i] == "idle" then idle = tonumber(c[i + 1]) end
  end
  if name and name ~= ARGV[3] and pending == 0 and idle and idle > minIdle then
    redis.call("XGROUP", "DELCONSUMER", KEYS[1], ARGV[1], name)
    removed = removed + 1
  end
end
return removed
