-- Set a feature's rollout percent, or remove it, with its audit entry (see admin-audit.lua).
-- KEYS[1] rollout, KEYS[2] audit
-- ARGV[1] the feature; ARGV[2] the percent text ('' removes the field); ARGV[3] MAXLEN; ARGV[4] actor;
-- ARGV[5] action; ARGV[6] target
-- Returns { changed (1 or 0), the percent before as JSON (null when absent) }.
local before = redis.call('HGET', KEYS[1], ARGV[1])
checkAudit(KEYS[2])
local beforeJson = before and cjson.encode(before) or 'null'
local after = ARGV[2] ~= '' and ARGV[2] or false
if before == after then
  return { 0, beforeJson }
end
if after then
  redis.call('HSET', KEYS[1], ARGV[1], after)
else
  redis.call('HDEL', KEYS[1], ARGV[1])
end
audit(KEYS[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], beforeJson, after and cjson.encode(after) or 'null')
return { 1, beforeJson }
