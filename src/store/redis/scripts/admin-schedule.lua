-- Replace a feature's schedule hash, or remove it, with its audit entry (see admin-audit.lua).
-- KEYS[1] schedule:<feature>, KEYS[2] audit
-- ARGV[1] MAXLEN; ARGV[2] actor; ARGV[3] action; ARGV[4] target; ARGV[5] the new fields as a JSON
-- object ('null' removes the schedule); ARGV[6], ARGV[7], ... the new field, value pairs, sorted by field
-- Returns { changed (1 or 0), the fields before as a JSON object (null when absent) }.
local current = redis.call('HGETALL', KEYS[1])
checkAudit(KEYS[2])
local fields = {}
for i = 1, #current, 2 do
  fields[#fields + 1] = { current[i], current[i + 1] }
end
table.sort(fields, function (a, b) return a[1] < b[1] end)
local same = #fields * 2 == #ARGV - 5
local parts = {}
for i, pair in ipairs(fields) do
  parts[i] = cjson.encode(pair[1]) .. ':' .. cjson.encode(pair[2])
  if pair[1] ~= ARGV[4 + 2 * i] or pair[2] ~= ARGV[5 + 2 * i] then
    same = false
  end
end
local beforeJson = #fields == 0 and 'null' or '{' .. table.concat(parts, ',') .. '}'
if same then
  return { 0, beforeJson }
end
redis.call('DEL', KEYS[1])
if #ARGV > 5 then
  redis.call('HSET', KEYS[1], unpack(ARGV, 6))
end
audit(KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], beforeJson, ARGV[5])
return { 1, beforeJson }
