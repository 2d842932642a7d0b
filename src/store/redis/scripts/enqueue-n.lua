--[[
  Accept webhooks: for each, deduplicate and enqueue one copy per target (the
  handlers' stream, and one delivery stream per destination its routes name),
  all in one atomic step. Ingest batches the webhooks accepted in one turn of
  the event loop into one call (one round trip, one script run); a batch may
  hold a single webhook.

  KEYS, per webhook i in order: its idempotency key (any queue key when its
  dedupe flag is "0"), then the stream of each of its m_i targets. The number of
  keys is passed with each call.

  ARGV, per webhook i in order:
    dedupe flag  "1" to deduplicate on its idempotency key, "0" to accept without
    TTL          idempotency TTL in milliseconds
    id           the new job's id
    m            the number of targets (at least 1)
    job × m      the envelope for each target stream, in the order of KEYS

  Returns a flat array, two entries per webhook in order:
    ARGV id, 0        accepted and queued on every target
    original id, 1    a duplicate of a job accepted within the TTL; nothing written
  Two webhooks with the same key in one batch: the first is queued, the second
  is its duplicate.

  Per webhook, the XADDs come before the SET, so there is never a key without its
  jobs (which would drop the provider's retry) nor a job without its key. Under
  noeviction, an OOM aborts the script at its first write, leaving nothing behind;
  once a script has written, Redis lets it finish, so a batch is stored whole or
  not at all.
]]
local out = {}
local k, a = 1, 1
while a <= #ARGV do
  local key = KEYS[k]
  local dedupe = ARGV[a] == "1"
  local ttl, id, m = ARGV[a + 1], ARGV[a + 2], tonumber(ARGV[a + 3])
  local existing = dedupe and redis.call("GET", key)
  if existing then
    out[#out + 1] = existing
    out[#out + 1] = 1
  else
    for t = 1, m do
      redis.call("XADD", KEYS[k + t], "*", "job", ARGV[a + 3 + t], "attempt", "0")
    end
    if dedupe then
      redis.call("SET", key, id, "PX", ttl)
    end
    out[#out + 1] = id
    out[#out + 1] = 0
  end
  k = k + 1 + m
  a = a + 4 + m
end
return out
