--[[
  Hand jobs back to the queue on shutdown, as they were: same attempt count, at
  the end of the stream, for any consumer to take at once instead of waiting for
  the reclaim idle time.

  KEYS[1]  the job stream

  ARGV[1]  the consumer group
  ARGV[2..n]  stream entry ids held by this consumer

  Returns the number of jobs handed back. An entry no longer pending (already
  reclaimed by another instance) is left alone.
]]
local released = 0
for i = 2, #ARGV do
  local entry = redis.call("XRANGE", KEYS[1], ARGV[i], ARGV[i])
  if redis.call("XACK", KEYS[1], ARGV[1], ARGV[i]) == 1 then
    redis.call("XDEL", KEYS[1], ARGV[i])
    if #entry == 1 and type(entry[1][2]) == "table" then
      redis.call("XADD", KEYS[1], "*", unpack(entry[1][2]))
      released = released + 1
    end
  end
end
return released
