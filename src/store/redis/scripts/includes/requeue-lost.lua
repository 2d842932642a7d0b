-- Puts back a job whose run was lost (its consumer stopped or stalled), the lost
-- run counted as a failed attempt: at the end of the job stream, or in the
-- dead-letter queue once it has no attempts left, so that a job that kills its
-- worker every time does not loop forever. `fields` is the entry's field list,
-- already taken out of its stream. An entry this service did not write (no job
-- field) goes to the dead-letter queue with its fields, for an operator to see.
-- The count of hand-backs (see release-5.lua) goes with the job. The event log
-- records the lost attempt and the delivery as retrying or dead (`log` as in
-- event-log.lua).
-- Needs now-ms.lua, add-dead-letter.lua and event-log.lua. Returns "requeued" or "dead".
local function requeueLost(stream, dlq, fields, maxAttempts, err, now, log)
  local job, attempt, handbacks = nil, 0, "0"
  for i = 1, #fields, 2 do
    if fields[i] == "job" then job = fields[i + 1] end
    if fields[i] == "attempt" then attempt = tonumber(fields[i + 1]) or 0 end
    if fields[i] == "handbacks" then handbacks = fields[i + 1] end
  end
  attempt = attempt + 1
  if not job then
    addDeadLetter(dlq, cjson.encode(fields), attempt, "malformed stream entry: no job field", now)
    countMinute(log, "dead", 1)
    return "dead"
  end
  if attempt >= maxAttempts then
    local id = addDeadLetter(dlq, job, attempt, err, now)
    recordOutcome(log, id, "dead", lostAttempt(now, err))
    countMinute(log, "dead", 1)
    return "dead"
  end
  redis.call("XADD", stream, "*", "job", job, "attempt", tostring(attempt), "err", err,
    "handbacks", handbacks)
  recordOutcome(log, jobIdOf(job), "retrying", lostAttempt(now, err))
  return "requeued"
end
