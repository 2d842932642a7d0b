--[[
  Replay dead letters: move each entry back to the job stream with a fresh
  attempt count.

  KEYS[1]  the job stream
  KEYS[2]  the dead-letter stream

  ARGV[1]     the prefix of the destinations' delivery streams: a dead
              delivery goes back to ARGV[1] .. its destination, and only there
              (under the queue's hash tag, so in the same slot as KEYS)
  ARGV[2..n]  dead-letter entry ids

  Returns the number of entries moved.

  Each move is an XADD to the stream and an XDEL from the DLQ in this one
  script, so an entry is never both queued and dead, nor neither (under
  noeviction an OOM aborts the script at its first write, the XADD, leaving
  nothing behind). An id no longer in the DLQ (replayed or deleted already) is
  skipped, so replaying twice queues once. The job keeps its id; its attempt
  count starts again and the last error is dropped with the DLQ entry.
]]
local moved = 0
for i = 2, #ARGV do
  local entry = redis.call("XRANGE", KEYS[2], ARGV[i], ARGV[i])
  if #entry == 1 then
    local fields = entry[1][2]
    local job, destination
    for j = 1, #fields, 2 do
      if fields[j] == "job" then job = fields[j + 1] end
      if fields[j] == "destination" then destination = fields[j + 1] end
    end
    local stream = KEYS[1]
    if destination and destination ~= "" then stream = ARGV[1] .. destination end
    -- An entry without a job (not written by this service) cannot run: it stays.
    if job then
      redis.call("XADD", stream, "*", "job", job, "attempt", "0")
      redis.call("XDEL", KEYS[2], ARGV[i])
      moved = moved + 1
    end
  end
end
return moved
