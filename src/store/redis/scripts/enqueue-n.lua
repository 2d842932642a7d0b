--[[
  Accept webhooks: for each, deduplicate and enqueue, all in one atomic step.
  Ingest batches the webhooks accepted in one turn of the event loop into one
  call (one round trip, one script run); a batch may hold a single webhook.

  KEYS[1]      the job stream
  KEYS[1 + i]  the idempotency key of webhook i (ignored when its dedupe flag is "0")
               The number of keys (1 + batch size) is passed with each call.

  ARGV, four per webhook i (i = 1..n), at 4(i-1)+1 .. 4(i-1)+4:
    dedupe flag  "1" to deduplicate on KEYS[1 + i], "0" to accept without
    TTL          idempotency TTL in milliseconds
    id           the new job's id
    job          the job envelope (JSON)

  Returns a flat array, two entries per webhook in order:
    ARGV id, 0        accepted and queued
    original id, 1    a duplicate of a job accepted within the TTL; nothing written
  Two webhooks with the same key in one batch: the first is queued, the second
  is its duplicate.

  Per webhook, the XADD comes before the SET, so there is never a key without its
  job (which would drop the provider's retry) nor a job without its key. Under
  noeviction, an OOM aborts the script at its first write, leaving nothing behind;
  once a script has written, Redis lets it finish, so a batch is stored whole or
  not at all.
]]
local out = {}
for i = 1, #KEYS - 1 do
  local a = 4 * (i - 1)
  local key = KEYS[1 + i]
  local dedupe = ARGV[a + 1] == "1"
  local existing = dedupe and redis.call("GET", key)
  if existing then
    out[#out + 1] = existing
    out[#out + 1] = 1
  else
    redis.call("XADD", KEYS[1], "*", "job", ARGV[a + 4], "attempt", "0")
    if dedupe then
      redis.call("SET", key, ARGV[a + 3], "PX", ARGV[a + 2])
    end
    out[#out + 1] = ARGV[a + 3]
    out[#out + 1] = 0
  end
end
return out
