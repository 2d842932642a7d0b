--[[
  Complete jobs: acknowledge and delete their stream entries.

  KEYS[1]  the job stream

  ARGV[1]  the consumer group
  ARGV[2..n]  stream entry ids

  Returns the number of entries acknowledged.

  An entry is deleted only if this XACK removed it from the pending list. An
  entry that is no longer pending was requeued by reclaim or moved by an admin;
  its new copy belongs to someone else. Deleting acknowledged entries here is
  the stream's only trimming: what remains is exactly undelivered + pending, so
  nothing unacknowledged is ever trimmed.
]]
local acked = 0
for i = 2, #ARGV do
  if redis.call("XACK", KEYS[1], ARGV[1], ARGV[i]) == 1 then
    redis.call("XDEL", KEYS[1], ARGV[i])
    acked = acked + 1
  end
end
return acked
