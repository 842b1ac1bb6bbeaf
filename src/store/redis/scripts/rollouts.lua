-- Shared by answers.lua and flags.lua (prepended to each when the store loads them: a Redis script
-- cannot include another). The rollout hash's fields whose feature is active, as a flat
-- { feature, percent, ... } list: only those can be selected, and only they travel to the worker.
local function activeRollouts (rolloutKey, activeKey)
  local fields = redis.call('HGETALL', rolloutKey)
  local selected = {}
  for i = 1, #fields, 2 do
    if redis.call('SISMEMBER', activeKey, fields[i]) == 1 then
      selected[#selected + 1] = fields[i]
      selected[#selected + 1] = fields[i + 1]
    end
  end
  return selected
end
