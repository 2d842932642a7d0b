-- Decodes JSON text that JavaScript wrote. JSON.stringify writes a lone
-- surrogate (a string that is not well-formed UTF-16, e.g. from a payload's
-- `\ud800`) as an escape that cjson refuses to decode; such escapes are read
-- as U+FFFD instead, as the text's bytes hold it when Redis receives a string
-- (the client encodes a lone surrogate so). JSON.stringify escapes no paired
-- surrogate, so only lone ones are replaced. Returns nil when it does not
-- decode to a table. The retry costs a pass over the text, only for such text.
local function decodeJson(text)
  local ok, v = pcall(cjson.decode, text)
  if not ok then
    local fixed, n = string.gsub(text, "\\u[dD][89abcdefABCDEF]%x%x", "\\ufffd")
    if n > 0 then ok, v = pcall(cjson.decode, fixed) end
  end
  if ok and type(v) == "table" then return v end
  return nil
end
