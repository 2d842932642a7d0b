-- Adds a job to the dead-letter stream. Besides the job, the entry carries its
-- id, type, source, destination and received time as fields of their own, read from the
-- envelope here (a rare step), so that listing and filtering the DLQ never
-- decode payloads. Returns the job's id ("" when the envelope has none).
-- Needs decode-json.lua.
local function addDeadLetter(dlq, job, attempts, err, now)
  local env = decodeJson(job) or {}
  local function text(v) return type(v) == "string" and v or "" end
  local received = type(env.receivedAt) == "number" and string.format("%.0f", env.receivedAt) or "0"
  redis.call("XADD", dlq, "*", "job", job, "attempts", tostring(attempts), "err", err,
    "failed_at", tostring(now), "job_id", text(env.id), "type", text(env.type),
    "source", text(env.source), "received_at", received, "destination", text(env.destination))
  return text(env.id)
end
