-- Add a feature to a set, or remove it, with its audit entry (see admin-audit.lua).
-- KEYS[1] the set (global_features, active_features, features:user:<id>, location:<name>), KEYS[2] audit
-- ARGV[1] '1' add, '0' remove; ARGV[2] the feature; ARGV[3] the stream's MAXLEN; ARGV[4] actor;
-- ARGV[5] action; ARGV[6] target
-- Returns { changed (1 or 0), the membership before as JSON }. A write that changes nothing is not audited.
local had = redis.call('SISMEMBER', KEYS[1], ARGV[2])
checkAudit(KEYS[2])
local json = { [0] = 'false', [1] = 'true' }
local want = tonumber(ARGV[1])
if had == want then
  return { 0, json[had] }
end
if want == 1 then
  redis.call('SADD', KEYS[1], ARGV[2])
else
  redis.call('SREM', KEYS[1], ARGV[2])
end
audit(KEYS[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], json[had], json[want])
return { 1, json[had] }
