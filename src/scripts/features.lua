-- The features a known user sees, in one atomic step:
--   global_features ∪ (features:user:<id> ∩ active_features)
-- KEYS[1] global_features, KEYS[2] active_features, KEYS[3] features:user:<id>
-- Returned unsorted: the worker sorts (see src/evaluate.ts), which keeps CPU off the single Redis core.
-- active_features is named before the user's set so a wrong type on it is reported even for users
-- with no set of their own (SINTER stops at the first missing key).
local answer = redis.call('SMEMBERS', KEYS[1])
local mine = redis.call('SINTER', KEYS[2], KEYS[3])
if #mine == 0 then
  return answer
end
local seen = {}
for i = 1, #answer do
  seen[answer[i]] = true
end
for i = 1, #mine do
  local feature = mine[i]
  if not seen[feature] then
    answer[#answer + 1] = feature
  end
end
return answer
