-- The Redis server's clock in milliseconds: every instance schedules and
-- compares against one clock, whatever its own says.
local function nowMs()
  local t = redis.call("TIME")
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
