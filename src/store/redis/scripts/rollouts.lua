-- Shared by answers.lua, token-answers.lua and flags.lua (prepended to each when the store loads them: a Redis script
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

-- The rollout part of an answer script's reply for a batch with users: the active rollouts, {} for
-- none, or the error reply that takes its place (active_features or the rollout of the wrong type,
-- or a rollout hash of more fields than the limit, judged by HLEN before any field is read).
-- nactive: the SCARD of active_features as pcall gave it (a number, or an error table).
local function rolloutPart (rolloutKey, activeKey, nactive, limit)
  local nrollout = redis.pcall('HLEN', rolloutKey)
  if type(nactive) ~= 'number' then
    return nactive
  elseif type(nrollout) ~= 'number' then
    return nrollout
  elseif nrollout > limit then
    return redis.error_reply('TOOLARGE ' .. nrollout)
  elseif nrollout > 0 then
    return activeRollouts(rolloutKey, activeKey)
  end
  return {}
end
