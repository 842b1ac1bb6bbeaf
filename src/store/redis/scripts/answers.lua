-- The inputs of the /features rule (src/core/evaluate.ts) for a batch of callers, in one atomic step
-- (src/store/redis/batch.ts): global_features, and each user's set intersected with active_features.
-- KEYS[1] global_features, KEYS[2] active_features, KEYS[3..n] features:user:<id>, one per known user
-- ARGV[1] the most features an answer may hold (MAX_ANSWER_FEATURES)
-- Returns { members of global_features, then per user key: its members that are active }.
-- The decision is the worker's (src/core/evaluate.ts): global_features travels once per batch instead
-- of once per user, and the CPU stays off the single Redis core.
-- pcall: a wrong-typed user key fails that user alone (an error reply in its place), not the batch.
-- active_features is named before the user's set so a wrong type on it is reported even for users
-- with no set of their own (SINTER stops at the first missing key).
-- Size: an answer holds at most |global| + min(|mine|, |active|) features, known from SCARDs (O(1))
-- before any set work. Past the limit, a TOOLARGE error reply (with that bound) takes the place of
-- what would be computed: the whole reply's when global alone is too large, else that user's.
local limit = tonumber(ARGV[1])
local nglobal = redis.call('SCARD', KEYS[1])
if nglobal > limit then
  return { redis.error_reply('TOOLARGE ' .. nglobal) }
end
local out = { redis.call('SMEMBERS', KEYS[1]) }
local nactive = redis.pcall('SCARD', KEYS[2])
for i = 3, #KEYS do
  local nmine = redis.pcall('SCARD', KEYS[i])
  -- A wrong type (an error table) is left to SINTER, which reports it as before.
  if type(nactive) == 'number' and type(nmine) == 'number' and nglobal + math.min(nmine, nactive) > limit then
    out[i - 1] = redis.error_reply('TOOLARGE ' .. (nglobal + math.min(nmine, nactive)))
  else
    out[i - 1] = redis.pcall('SINTER', KEYS[2], KEYS[i])
  end
end
return out
