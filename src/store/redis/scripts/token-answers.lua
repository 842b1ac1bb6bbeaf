-- The answers of a batch of signed-in callers when the users and the features share one instance and
-- db (src/store/redis/redis-store.ts, featuresForToken): each token resolved and its user's answer
-- inputs read in the same call, so a request costs one round trip instead of two (an MGET, then
-- answers.lua). Same bounds and the same reply parts as answers.lua, with the user id per caller.
-- KEYS[1] global_features, KEYS[2] active_features, KEYS[3] rollout, KEYS[4..n] token:<token>
-- ARGV[1] the most features an answer may hold (MAX_ANSWER_FEATURES)
-- Returns { members of global_features, { feature, percent, ... } of the rollout's active features,
-- the schedules (schedules.lua), then per token: false for an unknown token, the error reply of a
-- token key of the wrong type, or { user id, its set's active members (or TOOLARGE) } }.
-- The user's set key is built here from the id read: the one key not declared (a Cluster never runs
-- this script; the store uses it on one instance only).
-- global_features past the limit: every known caller is refused, but tokens are still resolved, so an
-- unknown token stays a 401 as on the two-step path: { TOOLARGE, {}, {}, then per token false, its
-- error, or { user id, TOOLARGE } }.
-- A token key's user id (a string), false for an unknown token, or the error table of a wrong type.
local function userOf (tokenKey)
  local id = redis.pcall('GET', tokenKey)
  if type(id) == 'table' and id.err ~= nil then
    return id
  end
  return id or false
end
local limit = tonumber(ARGV[1])
local nglobal = redis.call('SCARD', KEYS[1])
if nglobal > limit then
  local refused = redis.error_reply('TOOLARGE ' .. nglobal)
  local out = { refused, {}, {} }
  for i = 4, #KEYS do
    local id = userOf(KEYS[i])
    out[i] = type(id) == 'string' and { id, refused } or id
  end
  return out
end
local out = { redis.call('SMEMBERS', KEYS[1]), {}, {} }
local nactive = redis.pcall('SCARD', KEYS[2])
-- When global and all of active fit, every user's set does (answers.lua): no SCARD per user.
local fits = type(nactive) == 'number' and nglobal + nactive <= limit
local known = false
local lists = { out[1] }
local steps = { 1 }
for i = 4, #KEYS do
  local id = userOf(KEYS[i])
  if type(id) ~= 'string' then
    out[i] = id
  else
    known = true
    local key = 'features:user:' .. id
    local nset = fits and 0 or redis.pcall('SCARD', key)
    local members
    if type(nactive) == 'number' and type(nset) == 'number' and nglobal + math.min(nset, nactive) > limit then
      members = redis.error_reply('TOOLARGE ' .. (nglobal + math.min(nset, nactive)))
    else
      members = redis.pcall('SINTER', KEYS[2], key)
    end
    out[i] = { id, members }
    lists[#lists + 1] = members
    steps[#steps + 1] = 1
  end
end
if known then
  out[2] = rolloutPart(KEYS[3], KEYS[2], nactive, limit)
end
lists[#lists + 1] = out[2]
steps[#steps + 1] = 2
out[3] = schedulesOf(lists, steps)
return out
