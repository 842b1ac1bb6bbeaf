-- The inputs of the /features rule (src/core/evaluate.ts) for a batch of callers, in one atomic step
-- (src/store/redis/batch.ts): global_features, the rollout hash's active features, and each set of
-- the batch (a user's features:user:<id>, a location's location:<name>) intersected with active_features.
-- KEYS[1] global_features, KEYS[2] active_features, KEYS[3] rollout,
-- KEYS[4..n] features:user:<id> or location:<name>, one per distinct set the batch's callers need
-- ARGV[1] the most features an answer may hold (MAX_ANSWER_FEATURES)
-- ARGV[2] '1' when the batch has a known user (only users are in rollouts), else '0': rollout not read
-- Returns { members of global_features, { feature, percent, ... } of the rollout hash's active
-- features, the schedules of every feature in the reply with Redis TIME (schedules.lua), then per set
-- key: its members that are active }.
-- The decision is the worker's (src/core/evaluate.ts): global_features and the rollout travel once per
-- batch instead of once per caller, the rollout hash is hashed per user in the worker, and the CPU
-- stays off the single Redis core.
-- pcall: a wrong-typed set key fails the callers of that set alone (an error reply in its place), not
-- the batch; a wrong-typed rollout key fails the batch's users (an error reply in the second place).
-- active_features is named before the set in SINTER so a wrong type on it is reported even for sets
-- that do not exist (SINTER stops at the first missing key).
-- Size: a set contributes at most |global| + min(|set|, |active|) features, known from SCARDs (O(1))
-- before any set work (one SCARD of active_features when global and all of active fit, the
-- common case; else one per set). Past the limit, a TOOLARGE error reply (with that bound) takes the place of
-- what would be computed: the whole reply's when global alone is too large, else that set's. A
-- rollout hash of more than the limit is refused for the batch's users the same way (HLEN, O(1)).
-- Cost beyond the sets: HLEN rollout, and when the hash has fields one SISMEMBER per field.
local limit = tonumber(ARGV[1])
local nglobal = redis.call('SCARD', KEYS[1])
if nglobal > limit then
  return { redis.error_reply('TOOLARGE ' .. nglobal) }
end
local out = { redis.call('SMEMBERS', KEYS[1]), {}, {} }
local nactive = redis.pcall('SCARD', KEYS[2])
if ARGV[2] == '1' then
  out[2] = rolloutPart(KEYS[3], KEYS[2], nactive, limit)
end
-- When global and all of active fit, every set does (its bound is at most that): no SCARD per set.
local fits = type(nactive) == 'number' and nglobal + nactive <= limit
for i = 4, #KEYS do
  local nset = fits and 0 or redis.pcall('SCARD', KEYS[i])
  -- A wrong type (an error table) is left to SINTER, which reports it as before.
  if type(nactive) == 'number' and type(nset) == 'number' and nglobal + math.min(nset, nactive) > limit then
    out[i] = redis.error_reply('TOOLARGE ' .. (nglobal + math.min(nset, nactive)))
  else
    out[i] = redis.pcall('SINTER', KEYS[2], KEYS[i])
  end
end
local lists = { out[1], out[2] }
local steps = { 1, 2 }
for i = 4, #out do
  lists[#lists + 1] = out[i]
  steps[#steps + 1] = 1
end
out[3] = schedulesOf(lists, steps)
return out
