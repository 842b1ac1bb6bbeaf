-- Everything OFREP needs to give every known flag a value and a reason, in one atomic step:
--   { global_features, active_features, features:user:<id> ∩ active_features }
-- KEYS[1] global_features, KEYS[2] active_features, KEYS[3] features:user:<id>
-- ARGV[1] '1' for a known user, '0' for an anonymous caller (KEYS[3] is then not read: no key name
-- can stand for "no user", since any name could exist).
-- ARGV[2] the most flags an evaluation may list (MAX_OFREP_FLAGS)
-- The worker combines the three (flagReasons in src/core/evaluate.ts), keeping CPU off the Redis core.
-- active_features is named first in SINTER so a wrong type on it is reported for every caller.
-- Size: the listed flags are global ∪ active, at most |global| + |active| (SCARD, O(1)); past the
-- limit the reply is a TOOLARGE error with that bound, before any member is read. The user's part is
-- a subset of active, so the same bound covers it.
local bound = redis.call('SCARD', KEYS[1]) + redis.call('SCARD', KEYS[2])
if bound > tonumber(ARGV[2]) then
  return redis.error_reply('TOOLARGE ' .. bound)
end
local global = redis.call('SMEMBERS', KEYS[1])
local active = redis.call('SMEMBERS', KEYS[2])
local mine = {}
if ARGV[1] == '1' then
  mine = redis.call('SINTER', KEYS[2], KEYS[3])
end
return { global, active, mine }
