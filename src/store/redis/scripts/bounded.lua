-- One key's members, unless there are too many (Redis Cluster, src/store/redis/cluster-reads.ts): a
-- Cluster script may touch only keys of one slot, so the multi-key answer scripts cannot run there and
-- each set or hash is read by itself, bounded the same way.
-- KEYS[1] a set (ARGV[2] 'set') or a hash (ARGV[2] 'hash')
-- ARGV[1] the most members (or fields) to read
-- Returns { size } when the key holds more than ARGV[1], else { size, members } (a hash's members as
-- a flat { field, value, ... } list); a key of the wrong type gives its error reply as is.
local size
if ARGV[2] == 'hash' then
  size = redis.pcall('HLEN', KEYS[1])
else
  size = redis.pcall('SCARD', KEYS[1])
end
if type(size) == 'table' then
  return size
end
if size > tonumber(ARGV[1]) then
  return { size }
end
if ARGV[2] == 'hash' then
  return { size, redis.call('HGETALL', KEYS[1]) }
end
return { size, redis.call('SMEMBERS', KEYS[1]) }
