// The ceiling target: a stripped server that does only what any implementation of /features must do
// on this data, and nothing else. No routing, metrics, limits, error registry, ETag, schedules,
// rollouts or pipelining bound: per event-loop turn, the Redis round trips of that turn's callers
// (batched as the service batches them), then the JSON answer. Its rate against the static baseline
// of the same round bounds what the service can reach on the same machine with the same generator
// (issue 15: "a stripped server that does only the Redis round trips sets the ceiling").
// Usage: ceiling-server.ts <port> <workers> <usersRedisUrl> <featuresRedisUrl>
//   anonymous callers: one SMEMBERS global_features per turn;
//   Bearer callers, two instances: one MGET of token:<token> per turn, then one script call for the
//   turn's known users (global_features, and each user's set intersected with active_features);
//   Bearer callers, both URLs equal: the token lookups and the answers in one script call per turn.
// Any other Authorization form is answered as an unknown token: the ceiling serves the bench's
// anonymous, bearer and same-instance scenarios only.

import cluster from 'node:cluster'
import { createServer, type ServerResponse } from 'node:http'
import { runPrimary } from './reference-primary.js'
import { Redis } from 'ioredis'

const [port, workers, usersUrl, featuresUrl] = process.argv.slice(2) as [string, string, string, string]

// KEYS: global_features, active_features, then features:user:<id> per known user of the turn.
const ANSWERS = `
local out = { redis.call('SMEMBERS', KEYS[1]) }
for i = 3, #KEYS do out[i - 1] = redis.call('SINTER', KEYS[2], KEYS[i]) end
return out`

// KEYS: global_features, active_features, then token:<token> per caller of the turn; false for an
// unknown token.
const TOKEN_ANSWERS = `
local out = { redis.call('SMEMBERS', KEYS[1]) }
for i = 3, #KEYS do
  local id = redis.call('GET', KEYS[i])
  out[i - 1] = id and redis.call('SINTER', KEYS[2], 'features:user:' .. id) or false
end
return out`

type Script = (keyCount: number, ...keys: string[]) => Promise<Array<string[] | null>>

const HEADERS = Object.freeze({ 'content-type': 'application/json' })
const UNAUTHORIZED = '{"error":"unauthorized"}'
const SHARED = ['global_features', 'active_features']

// Sorted by code unit, as the service sorts (src/core/evaluate.ts), so the bodies are the same bytes.
function send (res: ServerResponse, global: readonly string[], mine: readonly string[] | null | undefined): void {
  res.writeHead(mine === null || mine === undefined ? 401 : 200, HEADERS)
  res.end(mine === null || mine === undefined ? UNAUTHORIZED : JSON.stringify({ active_features: global.concat(mine).sort() }))
}

if (cluster.isPrimary) {
  runPrimary('ceiling', Number(workers))
} else {
  const features = new Redis(featuresUrl)
  const oneTrip = usersUrl === featuresUrl
  const users = oneTrip ? features : new Redis(usersUrl)
  features.defineCommand('ceilingAnswers', { lua: ANSWERS })
  features.defineCommand('ceilingTokenAnswers', { lua: TOKEN_ANSWERS })
  const { ceilingAnswers, ceilingTokenAnswers } = features as unknown as Record<'ceilingAnswers' | 'ceilingTokenAnswers', Script>
  const answers = ceilingAnswers.bind(features)
  const tokenAnswers = ceilingTokenAnswers.bind(features)
  const NONE: readonly string[] = []

  let anonymous: ServerResponse[] = []
  let signed: ServerResponse[] = []
  let tokens: string[] = []
  let scheduled = false

  const anonymousTurn = async (callers: ServerResponse[]): Promise<void> => {
    const global = await features.smembers('global_features')
    for (const res of callers) send(res, global, NONE)
  }
  const signedTurn = async (callers: ServerResponse[], keys: string[]): Promise<void> => {
    if (oneTrip) {
      const reply = await tokenAnswers(keys.length + 2, ...SHARED, ...keys)
      const global = reply[0] as string[]
      for (let i = 0; i < callers.length; i++) send(callers[i] as ServerResponse, global, reply[i + 1])
      return
    }
    const ids = await users.mget(keys)
    const sets: string[] = []
    for (const id of ids) if (id !== null) sets.push('features:user:' + id)
    const reply = await answers(sets.length + 2, ...SHARED, ...sets)
    const global = reply[0] as string[]
    let k = 1
    for (let i = 0; i < callers.length; i++) send(callers[i] as ServerResponse, global, ids[i] === null ? null : reply[k++])
  }
  const flush = (): void => {
    scheduled = false
    if (anonymous.length > 0) void anonymousTurn(anonymous)
    if (signed.length > 0) void signedTurn(signed, tokens)
    anonymous = []
    signed = []
    tokens = []
  }

  createServer((req, res) => {
    const auth = req.headers.authorization
    if (auth === undefined) {
      anonymous.push(res)
    } else {
      signed.push(res)
      tokens.push('token:' + (auth.startsWith('Bearer ') ? auth.slice(7) : ''))
    }
    if (!scheduled) {
      scheduled = true
      setImmediate(flush)
    }
  }).listen(Number(port), '127.0.0.1')
}
