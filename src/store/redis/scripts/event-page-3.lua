--[[
  One page of the event log, newest first: scan a bounded window of an index
  and return the events that match, without their payloads.

  KEYS[1]  the index to scan: the log's index, or its idempotency-key index
           (whose members are a key's prefix followed by an index member)
  KEYS[2]  the log's summary hash
  KEYS[3]  the log's body hash (read only for a payload search)

  ARGV[1]  ZREVRANGEBYLEX max: "+", or "(" .. member (exclusive)
  ARGV[2]  ZREVRANGEBYLEX min: "-", or "[" .. member (inclusive)
  ARGV[3]  the length of the prefix of KEYS[1]'s members before the index member
  ARGV[4]  the most events to examine in this call
  ARGV[5]  the most matches to return
  ARGV[6]  source to match, "" for any
  ARGV[7]  event type to match, "" for any
  ARGV[8]  event state to match, "" for any
  ARGV[9]  a target the event must have a delivery to, "" for any
  ARGV[10] a substring the payload must hold (case-sensitive), "" for any
  ARGV[11] the most bytes of bodies to read in this call (a payload search):
           once past it, the call stops after that event and says where

  Returns { next, scanned, matches }:
    next     the index member (without prefix) of the last event examined, or
             "" when nothing is left in the range
    scanned  how many events were examined
    matches  2 strings per match: its index member (without prefix), its summary

  Read-only. Only the summary (a state line and a small meta JSON) is read
  for most filters, and the meta decoded only for a source or type filter;
  the body is read only for a payload search. A body may be 1 MiB: the
  bound in bytes keeps a search's call short where the bound in events
  could not.
]]
--@include "includes/decode-json.lua"

local members = redis.call("ZREVRANGEBYLEX", KEYS[1], ARGV[1], ARGV[2], "LIMIT", 0, tonumber(ARGV[4]))
local skip = tonumber(ARGV[3])
local limit = tonumber(ARGV[5])
local wantSource, wantType, wantState = ARGV[6], ARGV[7], ARGV[8]
local wantTarget = ARGV[9] ~= "" and (" " .. ARGV[9] .. "=") or nil
local q = ARGV[10]
local maxBodyBytes = tonumber(ARGV[11])
local bodyBytes = 0
local out = {}
local matched, scanned = 0, 0
local last = ""
local full = false

local function matches(id, summary)
  local nl = string.find(summary, "\n", 1, true) or (#summary + 1)
  local line = string.sub(summary, 1, nl - 1)
  if wantState ~= "" then
    local state = string.match(line, "^%S+")
    if state ~= wantState then return false end
  end
  if wantTarget and not string.find(line .. " ", wantTarget, 1, true) then return false end
  if wantSource ~= "" or wantType ~= "" then
    local meta = decodeJson(string.sub(summary, nl + 1))
    if not meta then return false end
    if wantSource ~= "" and meta.source ~= wantSource then return false end
    if wantType ~= "" and meta.type ~= wantType then return false end
  end
  if q ~= "" then
    local body = redis.call("HGET", KEYS[3], id)
    if not body then return false end
    bodyBytes = bodyBytes + #body
    local start = string.find(body, "\n", 1, true)
    if not start or not string.find(body, q, start + 1, true) then return false end
  end
  return true
end

for _, m in ipairs(members) do
  local member = string.sub(m, skip + 1)
  last = member
  scanned = scanned + 1
  local id = string.sub(member, 16)
  local summary = redis.call("HGET", KEYS[2], id)
  if summary and matches(id, summary) then
    out[#out + 1] = member
    out[#out + 1] = summary
    matched = matched + 1
    if matched >= limit then
      full = true
      break
    end
  end
  if bodyBytes >= maxBodyBytes then
    full = true
    break
  end
end
if not full and #members < tonumber(ARGV[4]) then
  last = ""
elseif last ~= "" then
  -- Stopped early: is anything left past the last one examined?
  local more = redis.call("ZREVRANGEBYLEX", KEYS[1], "(" .. members[scanned], ARGV[2], "LIMIT", 0, 1)
  if #more == 0 then last = "" end
end
return { last, scanned, out }
