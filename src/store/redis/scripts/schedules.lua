-- Shared by answers.lua and flags.lua (prepended to each when the store loads them, like rollouts.lua).
-- The schedule:<feature> hashes of the features an answer may hold, and the clock to read them at:
--   {} when none of them has a schedule, else { TIME seconds, TIME microseconds, feature, { field,
--   value, ... }, feature, { ... }, ... }
-- Redis TIME, read in the same atomic call as the data, is the one clock every worker and server
-- agrees on. Only features already in the reply are looked up (one HGETALL each, O(1) for a missing
-- key), so the cost follows the answer's size, not the number of schedules stored.
-- The key names are built here from the members read: the schedules to read are not known before.
-- A schedule key of the wrong type is passed on as an error reply in place of its fields: the worker
-- fails that feature closed, as for a malformed hash, instead of failing every caller.
-- lists: the reply's member lists, and step: 1 for plain lists, 2 for { feature, percent, ... }
-- pairs; an error reply in place of a list (a table with `err`) is skipped.
local function schedulesOf (lists, steps)
  local seen = {}
  local found = {}
  for l, list in ipairs(lists) do
    if list.err == nil then
      for i = 1, #list, steps[l] do
        local feature = list[i]
        if not seen[feature] then
          seen[feature] = true
          local fields = redis.pcall('HGETALL', 'schedule:' .. feature)
          if fields.err ~= nil or #fields > 0 then
            found[#found + 1] = feature
            found[#found + 1] = fields
          end
        end
      end
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
