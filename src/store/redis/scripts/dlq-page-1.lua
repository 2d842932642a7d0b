--[[
  One step of listing the dead-letter queue: scan a range of entries and return
  the ones that match, without their payloads.

  KEYS[1]  the dead-letter stream

  ARGV[1]  XRANGE start: "-", an id (inclusive) or "(" .. id (exclusive)
  ARGV[2]  XRANGE end: "+" or an id (inclusive)
  ARGV[3]  the most entries to scan in this call
  ARGV[4]  the most matches to return
  ARGV[5]  event type to match, "" for any
  ARGV[6]  source to match, "" for any
  ARGV[7]  destination to match, "" for any

  Returns { cursor, matches }:
    cursor   the id of the last entry examined, or "" when the range is exhausted
    matches  9 strings per match: id, job id, type, source, received_at,
             attempts, last error, failed_at, destination

  Read-only. Each call examines at most ARGV[3] entries, so a selective filter
  over a long DLQ costs several bounded calls rather than one long one. Entries
  written before the DLQ carried type and source fields have them read from the
  envelope.
]]
--@include "includes/decode-json.lua"

local entries = redis.call("XRANGE", KEYS[1], ARGV[1], ARGV[2], "COUNT", tonumber(ARGV[3]))
local limit = tonumber(ARGV[4])
local wantType, wantSource, wantDestination = ARGV[5], ARGV[6], ARGV[7] or ""
local out = {}
local matched = 0
local last = ""
local full = false
for _, e in ipairs(entries) do
  local id, fields = e[1], e[2]
  last = id
  local f = {}
  for i = 1, #fields, 2 do f[fields[i]] = fields[i + 1] end
  if f.type == nil and f.job then
    local env = decodeJson(f.job)
    if env then
      f.job_id = type(env.id) == "string" and env.id or ""
      f.type = type(env.type) == "string" and env.type or ""
      f.source = type(env.source) == "string" and env.source or ""
      f.received_at = type(env.receivedAt) == "number" and string.format("%.0f", env.receivedAt) or "0"
    end
  end
  if (wantType == "" or f.type == wantType) and (wantSource == "" or f.source == wantSource)
    and (wantDestination == "" or f.destination == wantDestination) then
    out[#out + 1] = id
    out[#out + 1] = f.job_id or ""
    out[#out + 1] = f.type or ""
    out[#out + 1] = f.source or ""
    out[#out + 1] = f.received_at or "0"
    out[#out + 1] = f.attempts or "0"
    out[#out + 1] = f.err or ""
    out[#out + 1] = f.failed_at or "0"
    out[#out + 1] = f.destination or ""
    matched = matched + 1
    if matched >= limit then
      full = true
      break
    end
  end
end
if not full and #entries < tonumber(ARGV[3]) then
  -- Everything in the range was examined.
  return { "", out }
end
return { last, out }
