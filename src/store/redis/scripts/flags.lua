-- Everything OFREP needs to give every known flag a value and a reason, in one atomic step:
--   { global_features, active_features, features:user:<id> ∩ active_features,
--     location:<name> ∩ active_features, { feature, percent, ... } of the rollout's active features,
--     the schedules of global ∪ active with Redis TIME (schedules.lua) }
-- KEYS[1] global_features, KEYS[2] active_features, KEYS[3] features:user:<id>, KEYS[4] rollout,
-- KEYS[5] location:<name>
-- ARGV[1] '1' for a known user, '0' for an anonymous caller (KEYS[3] and KEYS[4] are then not read:
-- no key name can stand for "no user", since any name could exist; anonymous callers are in no rollout).
-- ARGV[2] the most flags an evaluation may list (MAX_OFREP_FLAGS)
-- ARGV[3] '1' when the caller has a location, '0' when not (KEYS[5] is then not read)
-- The worker combines them (flagReasons in src/core/evaluate.ts), keeping CPU off the Redis core.
-- active_features is named first in SINTER so a wrong type on it is reported for every caller.
-- Size: the listed flags are global ∪ active, at most |global| + |active| (SCARD, O(1)); past the
-- limit the reply is a TOOLARGE error with that bound, before any member is read. The user's and the
-- location's parts are subsets of active, so the same bound covers them; a rollout hash of more
-- fields than the limit is refused the same way (HLEN, O(1)) before it is read.
local limit = tonumber(ARGV[2])
local bound = redis.call('SCARD', KEYS[1]) + redis.call('SCARD', KEYS[2])
if bound > limit then
  return redis.error_reply('TOOLARGE ' .. bound)
end
local global = redis.call('SMEMBERS', KEYS[1])
local active = redis.call('SMEMBERS', KEYS[2])
local mine = {}
local rollout = {}
if ARGV[1] == '1' then
  mine = redis.call('SINTER', KEYS[2], KEYS[3])
  local nrollout = redis.call('HLEN', KEYS[4])
  if nrollout > limit then
    return redis.error_reply('TOOLARGE ' .. nrollout)
  end
  if nrollout > 0 then
    rollout = activeRollouts(KEYS[4], KEYS[2])
  end
end
local here = {}
if ARGV[3] == '1' then
  here = redis.call('SINTER', KEYS[2], KEYS[5])
end
-- Every known flag's schedule: a closed one turns the flag DISABLED, whoever asks.
return { global, active, mine, here, rollout, schedulesOf({ global, active }, { 1, 1 }) }
