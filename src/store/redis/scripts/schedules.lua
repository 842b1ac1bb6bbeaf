-- Shared by answers.lua and flags.lua (prepended to each when the store loads them, like rollouts.lua).
-- The schedule:<feature> hashes of the features an answer may hold, and the clock to read them at:
--   {} when none of them has a schedule, else { TIME seconds, TIME microseconds, feature, { field,
--   value, ... }, feature, { ... }, ... }
-- Redis TIME, read in the same atomic call as the data, is the one clock every worker and server
-- agrees on. Only features already in the reply are looked up (one EXISTS over all of them, then an
-- HGETALL for each until every existing one is read), so the cost follows the answer's size, not the
-- number of schedules stored.
-- The key names are built here from the members read: the schedules to read are not known before.
-- A schedule key of the wrong type is passed on as an error reply in place of its fields: the worker
-- fails that feature closed, as for a malformed hash, instead of failing every caller.
-- lists: the reply's member lists, and step: 1 for plain lists, 2 for { feature, percent, ... }
-- pairs; an error reply in place of a list (a table with `err`) is skipped.
local function schedulesOf (lists, steps)
  local seen = {}
  local features = {}
  local keys = {}
  for l, list in ipairs(lists) do
    if list.err == nil then
      for i = 1, #list, steps[l] do
        local feature = list[i]
        if not seen[feature] then
          seen[feature] = true
          features[#features + 1] = feature
          keys[#keys + 1] = 'schedule:' .. feature
        end
      end
    end
  end
  -- One EXISTS over all the keys first: it counts them whatever their type (an empty hash does not
  -- exist), so with no schedule among them, the common case, the batch makes one call instead of one
  -- HGETALL per feature, and otherwise the HGETALLs stop once that many are found. Chunks of 1000
  -- stay far below Lua's stack limit for unpack.
  local left = 0
  for first = 1, #keys, 1000 do
    left = left + redis.call('EXISTS', unpack(keys, first, math.min(first + 999, #keys)))
  end
  local found = {}
  for i = 1, #keys do
    if left == 0 then
      break
    end
    local fields = redis.pcall('HGETALL', keys[i])
    if fields.err ~= nil or #fields > 0 then
      found[#found + 1] = features[i]
      found[#found + 1] = fields
      left = left - 1
    end
  end
  if #found == 0 then
    return found
  end
  local time = redis.call('TIME')
  local out = { time[1], time[2] }
  for i = 1, #found do
    out[i + 2] = found[i]
  end
  return out
end
