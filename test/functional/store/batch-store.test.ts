// The Redis store's per-turn batching against real redis-server processes: one script call carries a
// whole turn's lookups, every caller gets its own answer, and a key of the wrong type fails only the
// caller who needs it, even inside a shared call.

import t from 'tap'
import type { Redis } from 'ioredis'
import { HttpError } from '../../../src/errors.js'
import { MAX_BATCH_KEYS } from '../../../src/store/redis/redis-store.js'
import { startRedisPair, type RedisPair } from '../../helpers/in-process.js'
import { caller } from '../../../src/core/context.js'

/**
 * Calls of each command since the last CONFIG RESETSTAT (INFO commandstats), and `scripts`: EVALSHA
 * plus EVAL (ioredis sends EVAL when Redis does not know the script yet: a fresh server).
 */
async function commandCalls (client: Redis): Promise<Record<string, number>> {
  const calls: Record<string, number> = {}
  for (const m of (await client.info('commandstats')).matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) calls[m[1] as string] = Number(m[2])
  calls.scripts = (calls.evalsha ?? 0) + (calls.eval ?? 0)
  return calls
}

// One pair of servers for the file; each test uses keys of its own and resets the counters first.
let pair: RedisPair
let users: Redis
let features: Redis
t.before(async () => {
  pair = await startRedisPair()
  users = pair.users.client()
  features = pair.features.client()
})
t.teardown(async () => {
  users.disconnect()
  features.disconnect()
  await pair.stop()
})

async function resetCounters (): Promise<void> {
  await users.config('RESETSTAT')
  await features.config('RESETSTAT')
}

t.test('the lookups of one turn reach each Redis as one call, with every answer right', async (t) => {
  // 40 users: even ids get feature_3 (active) and feature_9 (not), odd ids only feature_9.
  for (let id = 2; id <= 41; id++) {
    await users.set(`token:t${id}`, String(id))
    await features.sadd(`features:user:${id}`, id % 2 === 0 ? ['feature_3', 'feature_9'] : ['feature_9'])
  }
  await resetCounters()

  const ids = Array.from({ length: 40 }, (_, i) => String(i + 2))
  // All asked for in the same turn, plus unknown tokens and anonymous callers in between.
  const userIds = await Promise.all([...ids.map((id) => pair.store.userIdForToken(`t${id}`)), pair.store.userIdForToken('nobody')])
  t.same(userIds, [...ids, null], 'each token its own user id; an unknown one null')
  const answers = await Promise.all([null, ...ids, null].map((id) => pair.store.featuresFor(caller(id))))
  t.same(answers[0], ['feature_1', 'feature_2'], 'anonymous')
  t.same(answers.at(-1), ['feature_1', 'feature_2'], 'anonymous again')
  for (const [i, id] of ids.entries()) {
    t.same(answers[i + 1], Number(id) % 2 === 0 ? ['feature_1', 'feature_2', 'feature_3'] : ['feature_1', 'feature_2'], `user ${id}`)
  }
  const userCalls = await commandCalls(users)
  t.equal(userCalls.mget, 1, 'one MGET for 41 tokens')
  t.equal(userCalls.scripts, 1, 'and one script call to read the one that came back nil again')
  t.equal(userCalls.get, 1, 'for that key alone')
  const featureCalls = await commandCalls(features)
  t.equal(featureCalls.scripts, 1, 'one script call for 40 users and 2 anonymous callers')
  t.equal(featureCalls.sinter, 40, 'one SINTER per distinct user inside it')
  t.equal(featureCalls.smembers, 1, 'global_features read once for all of them')
})

t.test('a turn of anonymous callers only is one script call: the global features, their schedules and no set', async (t) => {
  await resetCounters()
  const answers = await Promise.all([null, null, null].map((id) => pair.store.featuresFor(caller(id))))
  t.same(answers, [['feature_1', 'feature_2'], ['feature_1', 'feature_2'], ['feature_1', 'feature_2']])
  t.equal(answers[0], answers[2], 'one answer array shared by the batch')
  const calls = await commandCalls(features)
  t.equal(calls.scripts, 1, 'one round trip for the turn')
  t.equal(calls.smembers, 1, 'global_features read once')
  t.equal(calls.exists, 1, 'one EXISTS over the global features\' schedule keys (a schedule may close one)')
  t.equal(calls.hgetall ?? 0, 0, 'and no schedule hash read when none exists')
  t.equal(calls.sinter ?? 0, 0, 'no set intersected')
  t.equal(calls.time ?? 0, 0, 'no clock read when no schedule exists')
})

t.test('with a schedule on a global feature, the same call reads that hash and the clock', async (t) => {
  await features.hset('schedule:feature_2', 'end', '978307200000')
  t.teardown(async () => { await features.del('schedule:feature_2') })
  await resetCounters()
  const answers = await Promise.all([null, null].map((id) => pair.store.featuresFor(caller(id))))
  t.same(answers, [['feature_1'], ['feature_1']], 'the ended feature is off')
  const calls = await commandCalls(features)
  t.equal(calls.scripts, 1, 'still one round trip')
  t.equal(calls.exists, 1, 'one EXISTS')
  // SMEMBERS order decides whether feature_1's key is tried before the one that exists.
  t.ok((calls.hgetall ?? 0) >= 1 && (calls.hgetall ?? 0) <= 2, `the schedule read, the search stopping once it is found (${calls.hgetall ?? 0} HGETALL)`)
  t.equal(calls.time, 1, 'and the clock read once')
})

t.test('more lookups in one turn than a call may carry are split into full calls', async (t) => {
  await resetCounters()
  const count = MAX_BATCH_KEYS * 2 + 1
  const tokens = Array.from({ length: count }, (_, i) => `unknown-${i}`)
  const userIds = await Promise.all([...tokens.map((token) => pair.store.userIdForToken(token)), pair.store.userIdForToken('1234')])
  t.equal(userIds.length, count + 1)
  t.equal(userIds.at(-1), '1', 'the known token in the last call')
  t.ok(userIds.slice(0, -1).every((id) => id === null), 'the unknown ones null')
  t.equal((await commandCalls(users)).mget, 3, `${count + 1} keys in calls of at most ${MAX_BATCH_KEYS}`)
})

t.test('a turn of known tokens only is one MGET, no script', async (t) => {
  await users.set('token:5678', '2')
  await resetCounters()
  t.same(await Promise.all(['1234', '5678', '1234'].map((token) => pair.store.userIdForToken(token))), ['1', '2', '1'])
  const calls = await commandCalls(users)
  t.equal(calls.mget, 1)
  t.equal(calls.scripts, 0)
})

t.test('a key of the wrong type fails only its own caller inside a shared call', async (t) => {
  await users.sadd('token:broken', 'not-a-string')
  await features.set('features:user:7', 'not-a-set')
  await resetCounters()

  // When the known token is answered, the second look at the nil ones must still be under way: one
  // turn later (setImmediate) they are not settled yet. Were the batch answered as a whole, they would be.
  let nilsSettled = 0
  let nilsSettledAfterKnown = -1
  const tokens = await Promise.allSettled([
    pair.store.userIdForToken('1234').then((id) => {
      setImmediate(() => { nilsSettledAfterKnown = nilsSettled })
      return id
    }),
    ...['broken', 'nobody'].map((token) => pair.store.userIdForToken(token).finally(() => { nilsSettled++ })),
  ])
  t.equal(nilsSettledAfterKnown, 0, 'the known token is answered without waiting for the second look')
  t.same(tokens[0], { status: 'fulfilled', value: '1' })
  t.equal(tokens[1]?.status, 'rejected')
  const tokenErr = (tokens[1] as PromiseRejectedResult).reason as HttpError
  t.ok(tokenErr instanceof HttpError)
  t.equal(tokenErr.code, 'TF_ERR_INTERNAL', 'a token key of the wrong type is a 500, not a silent 401')
  t.match(String(tokenErr.cause), /WRONGTYPE/)
  t.same(tokens[2], { status: 'fulfilled', value: null })

  const answers = await Promise.allSettled(['1', '7', null].map((id) => pair.store.featuresFor(caller(id))))
  t.same(answers[0], { status: 'fulfilled', value: ['feature_1', 'feature_2', 'feature_3'] })
  t.equal(answers[1]?.status, 'rejected')
  const answerErr = (answers[1] as PromiseRejectedResult).reason as HttpError
  t.equal(answerErr.code, 'TF_ERR_INTERNAL')
  t.match(String(answerErr.cause), /WRONGTYPE/)
  t.same(answers[2], { status: 'fulfilled', value: ['feature_1', 'feature_2'] })
  const userCalls = await commandCalls(users)
  t.equal(userCalls.mget, 1, 'the tokens shared one MGET')
  t.equal(userCalls.get, 2, 'and the two that came back nil were read again, in one script call')
  t.equal(userCalls.scripts, 1)
  t.equal((await commandCalls(features)).scripts, 1, 'the answers shared one call')
})
