-- The user ids of a batch of tokens, in one call (src/store/redis/batch.ts).
-- KEYS[1..n] token:<token>
-- Returns per key: the user id, nil for an unknown token, or an error reply in its place when that key
-- is not a string. Unlike MGET, which answers nil for a wrong-typed key and would turn corrupt data
-- into a silent 401, this keeps GET's WRONGTYPE (a 500) and confines it to its own caller.
local out = {}
for i = 1, #KEYS do
  out[i] = redis.pcall('GET', KEYS[i])
end
return out
