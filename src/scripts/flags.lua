-- Everything OFREP needs to give every known flag a value and a reason, in one atomic step:
--   { global_features, active_features, features:user:<id> ∩ active_features }
-- KEYS[1] global_features, KEYS[2] active_features, KEYS[3] features:user:<id>
-- ARGV[1] '1' for a known user, '0' for an anonymous caller (KEYS[3] is then not read: no key name
-- can stand for "no user", since any name could exist).
-- The worker combines the three (resolveFlags in src/evaluate.ts), keeping CPU off the Redis core.
-- active_features is named first in SINTER so a wrong type on it is reported for every caller.
local global = redis.call('SMEMBERS', KEYS[1])
local active = redis.call('SMEMBERS', KEYS[2])
local mine = {}
if ARGV[1] == '1' then
  mine = redis.call('SINTER', KEYS[2], KEYS[3])
end
return { global, active, mine }
