-- The /features answers of a batch of callers, in one atomic step (src/store/batch.ts):
--   answer(user) = global_features ∪ (features:user:<id> ∩ active_features)
-- KEYS[1] global_features, KEYS[2] active_features, KEYS[3..n] features:user:<id>, one per known user
-- Returns { members of global_features, then per user key: its members that are active }.
-- The union and the sort are left to the worker (src/store/redis.ts): global_features travels once
-- per batch instead of once per user, and the CPU stays off the single Redis core.
-- pcall: a wrong-typed user key fails that user alone (an error reply in its place), not the batch.
-- active_features is named before the user's set so a wrong type on it is reported even for users
-- with no set of their own (SINTER stops at the first missing key).
local out = { redis.call('SMEMBERS', KEYS[1]) }
for i = 3, #KEYS do
  out[i - 1] = redis.pcall('SINTER', KEYS[2], KEYS[i])
end
return out
