// Both Redis URLs naming one instance and db (the original README's own example): a signed-in caller's
// token and answer are read by one script call per batch (scripts/token-answers.lua), and the answer is
// the one the two-step path (userIdForToken, then featuresFor) gives, on every kind of data.

import { pino } from 'pino'
import t from 'tap'
import type { Redis } from 'ioredis'
import { loadConfig } from '../../../src/config/config.js'
import { caller } from '../../../src/core/context.js'
import { HttpError } from '../../../src/errors.js'
import { createStore, type FeatureStore } from '../../../src/store/index.js'
import { RedisServer } from '../../helpers/redis-server.js'
import { CONTRACT_DATA, SCHEDULE_DATA, TARGETING_DATA, type DataSet } from '../../helpers/store-contract.js'
import { serve, untilReachable } from '../../helpers/in-process.js'

const log = pino({ level: 'silent' })
const redis = new RedisServer()
const other = new RedisServer()
let writer: Redis
t.before(async () => {
  await Promise.all([redis.start(), other.start()])
  writer = redis.client()
})
t.teardown(async () => {
  writer.disconnect()
  await Promise.all([redis.stop(), other.stop()])
})

async function write (data: DataSet, tokens: Record<string, string>): Promise<void> {
  await writer.flushall()
  for (const [token, id] of Object.entries(tokens)) await writer.set(`token:${token}`, id)
  if (data.global_features !== undefined) await writer.sadd('global_features', ...data.global_features)
  if (data.active_features !== undefined) await writer.sadd('active_features', ...data.active_features)
  for (const [id, list] of Object.entries(data.user_features ?? {})) await writer.sadd(`features:user:${id}`, ...list)
  for (const [feature, percent] of Object.entries(data.rollouts ?? {})) await writer.hset('rollout', feature, percent)
  for (const [feature, fields] of Object.entries(data.schedules ?? {})) await writer.hset(`schedule:${feature}`, fields)
}

async function store (env: Record<string, string> = {}, url = redis.url): Promise<FeatureStore> {
  const created = createStore(loadConfig({ REDIS_USERS_URL: url, REDIS_FEATURES_URL: redis.url, ...env }), log)
  t.teardown(() => created.close())
  await untilReachable(created)
  return created
}

/** The command count Redis reports for `name` (INFO commandstats). */
async function calls (name: string): Promise<number> {
  const info = await writer.info('commandstats')
  return Number(new RegExp(`^cmdstat_${name}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0)
}

const DATA_SETS: Array<[string, DataSet]> = [['the contract data', CONTRACT_DATA], ['rollouts', TARGETING_DATA], ['schedules', SCHEDULE_DATA]]
for (const [name, data] of DATA_SETS) {
  t.test(`one round trip answers as the two steps do: ${name}`, async (t) => {
    const tokens = data.tokens ?? Object.fromEntries([...Object.keys(data.user_features ?? {}), '5', '6', '7', '8'].map((id) => [`tok-${id}`, id]))
    await write(data, tokens)
    const s = await store()
    const oneTrip = s.featuresForToken
    if (oneTrip === undefined) throw new Error('no featuresForToken on one instance and db')
    const entries = Object.entries(tokens)
    const together = await Promise.all(entries.map(async ([token]) => await oneTrip(token)))
    for (const [i, [token, userId]] of entries.entries()) {
      t.same(together[i], { userId, features: await s.featuresFor(caller(userId)) }, `token ${token}: user ${userId}, the same answer`)
    }
    t.equal(await oneTrip('nobody'), null, 'an unknown token: null (401)')
    t.end()
  })
}

t.test('a batch of tokens costs one script call and no MGET', async (t) => {
  t.plan(3)
  await write(CONTRACT_DATA, CONTRACT_DATA.tokens ?? {})
  const s = await store()
  const oneTrip = s.featuresForToken as NonNullable<FeatureStore['featuresForToken']>
  await oneTrip('1234') // loads the script
  const [evalsha, mget] = [await calls('evalsha'), await calls('mget')]
  const answers = await Promise.all(['1234', 'tok:with:colons', 'no-set', 'jeton-é', 'nobody', '1234'].map(oneTrip))
  t.equal(answers.filter((a) => a !== null).length, 5)
  t.equal(await calls('evalsha') - evalsha, 1, 'one EVALSHA for the six callers of the turn')
  t.equal(await calls('mget') - mget, 0, 'no token lookup of its own')
})

t.test('a token key of the wrong type fails its caller alone, with a 500; the size limits hold', async (t) => {
  t.plan(5)
  await write({ global_features: ['g0', 'g1'], active_features: ['a0', 'a1', 'a2', 'a3', 'a4'], user_features: { big: ['a0', 'a1', 'a2', 'a3', 'a4'], small: ['a1'] } }, { big: 'big', small: 'small' })
  await writer.sadd('token:wrong', 'a set')
  const s = await store({ MAX_ANSWER_FEATURES: '5' })
  const oneTrip = s.featuresForToken as NonNullable<FeatureStore['featuresForToken']>
  const [wrong, big, small] = await Promise.allSettled([oneTrip('wrong'), oneTrip('big'), oneTrip('small')])
  t.match(wrong, { status: 'rejected', reason: { code: 'TF_ERR_INTERNAL' } }, 'the wrong-typed token: 500')
  t.match(big, { status: 'rejected', reason: { code: 'TF_ERR_ANSWER_TOO_LARGE' } }, '2 + min(5, 5) features is past 5: refused')
  t.same(small, { status: 'fulfilled', value: { userId: 'small', features: ['a1', 'g0', 'g1'] } }, 'a neighbour of the same turn is answered')
  await writer.sadd('global_features', 'g2', 'g3', 'g4', 'g5')
  const refused = await oneTrip('small').catch((err: unknown) => err)
  t.ok(refused instanceof HttpError && refused.code === 'TF_ERR_ANSWER_TOO_LARGE', 'global_features past the limit refuses every caller')
  t.equal(await oneTrip('nobody'), null, 'an unknown token is still unknown (401), as on the two-step path')
})

t.test('the rollout counts toward the limit on the whole answer, and a rollout key of the wrong type fails users', async (t) => {
  t.plan(3)
  await write({ global_features: ['g0', 'g1'], active_features: ['a1', 'r0', 'r1', 'r2', 'r3'], user_features: { u: ['a1'] }, rollouts: { r0: '100', r1: '100', r2: '100', r3: '100' } }, { u: 'u' })
  const s = await store({ MAX_ANSWER_FEATURES: '5' })
  const oneTrip = s.featuresForToken as NonNullable<FeatureStore['featuresForToken']>
  t.match(await oneTrip('u').catch((err: unknown) => err), { code: 'TF_ERR_ANSWER_TOO_LARGE' }, '2 global + 1 own + 4 rolled out = 7, past 5')
  await writer.del('rollout')
  await writer.set('rollout', 'not a hash')
  t.match(await oneTrip('u').catch((err: unknown) => err), { code: 'TF_ERR_INTERNAL' }, 'a rollout key of the wrong type: 500 for users')
  t.equal(await oneTrip('nobody'), null, 'and still 401 for an unknown token')
})

t.test('the one-trip path is used only where it applies: one instance and db, and no client-side cache', async (t) => {
  t.plan(3)
  t.not((await store()).featuresForToken, undefined, 'the same URL for both roles')
  t.equal((await store({}, other.url)).featuresForToken, undefined, 'two instances: two steps')
  t.equal((await store({ REDIS_CLIENT_CACHE_ENTRIES: '10' })).featuresForToken, undefined, 'the cache keeps the two cached steps')
})

t.test('GET /features over HTTP on one instance: the answer, 401 for an unknown token, 500 for a wrong type', async (t) => {
  t.plan(5)
  await write(CONTRACT_DATA, CONTRACT_DATA.tokens ?? {})
  await writer.hset('token:broken', 'not', 'a string')
  const served = await serve(await store())
  t.teardown(() => served.close())
  const get = async (token: string): Promise<[number, string]> => {
    const res = await fetch(`${served.url}/features`, { headers: { authorization: `Bearer ${token}` } })
    return [res.status, await res.text()]
  }
  t.same(await get('1234'), [200, '{"active_features":["Zeta","feature_1","feature_2","feature_3","éclair"]}'])
  t.equal((await get('nobody'))[0], 401)
  t.equal((await get('broken'))[0], 500)
  const basic = await fetch(`${served.url}/features`, { headers: { authorization: 'Basic ' + Buffer.from('app:1234').toString('base64') } })
  t.equal(basic.status, 200, 'the Basic form takes the same path')
  const located = await serve(await store(), { LOCATION_HEADER: 'x-location' })
  t.teardown(() => located.close())
  const res = await fetch(`${located.url}/features`, { headers: { authorization: 'Bearer 1234', 'x-location': 'US' } })
  t.same([res.status, await res.text()], [200, '{"active_features":["Zeta","feature_1","feature_2","feature_3","éclair"]}'], 'a caller with a location takes the two steps, same answer')
})
