-- Shared by the admin write scripts, prepended to each (a Redis script cannot include another).
-- Every admin write is one script: it reads the value before, checks that the audit stream can be
-- written, changes the data, then appends the entry. Redis runs a script alone, so no other write
-- lands in between; and since Redis never rolls a script back, every check that could fail comes
-- before the first write: a script stopped by an error has changed nothing.

-- The audit key must be a stream (or absent) before anything is written.
local function checkAudit (key)
  local kind = redis.call('TYPE', key)['ok']
  if kind ~= 'none' and kind ~= 'stream' then
    error({ err = 'WRONGTYPE the audit key is not a stream' })
  end
end

-- Append an entry to the capped stream. The time is the Redis clock in ms, made as text from TIME's
-- seconds and microseconds (a Lua number that large could print in exponent form).
local function audit (key, maxlen, actor, action, target, before, after)
  local t = redis.call('TIME')
  local ms = t[1] .. string.format('%03d', math.floor(tonumber(t[2]) / 1000))
  return redis.call('XADD', key, 'MAXLEN', '~', maxlen, '*',
    'time', ms, 'actor', actor, 'action', action, 'target', target, 'before', before, 'after', after)
end
