-- Takes a pending entry out of the job stream: acknowledges and deletes it.
-- Returns the entry's field list, or nil when it was no longer pending (taken
-- back by reclaim, or already finished: its new owner carries on) or its data
-- was gone.
local function takePending(stream, group, id)
  local entry = redis.call("XRANGE", stream, id, id)
  if redis.call("XACK", stream, group, id) == 0 then
    return nil
  end
  redis.call("XDEL", stream, id)
  if #entry == 0 or type(entry[1][2]) ~= "table" then
    return nil
  end
  return entry[1][2]
end

-- The value of `name` in a stream entry's flat field list, or nil.
local function fieldOf(fields, name)
  for i = 1, #fields, 2 do
    if fields[i] == name then return fields[i + 1] end
  end
  return nil
end
