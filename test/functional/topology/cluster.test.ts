// The service on a real Redis Cluster (three primaries with a replica each, started here): /features
// and OFREP with tokens and users on every node, then under load a live reshard (real ASK and MOVED)
// and a primary killed (real failover). No wrong answer, no hang; errors bounded and counted.

import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { RedisClusterGroup, tokensOnEveryNode, type TokenPlacement } from '../../helpers/redis-cluster.js'
import { startService, type Service } from '../../helpers/service.js'
import { checkedLoad, describeLoad, type Caller } from '../../helpers/checked-load.js'

const GLOBAL = ['g_one', 'g_two']
const ACTIVE = ['a1', 'a2', 'a3', 'a4', 'a5']
// Each user's own set: a rotating slice of the active features plus one retired feature.
const ownOf = (i: number): string[] => [ACTIVE[i % 5] as string, ACTIVE[(i + 2) % 5] as string, 'retired']
const body = (features: readonly string[]): string => JSON.stringify({ active_features: [...new Set(features)].sort() })

const cluster = new RedisClusterGroup()
let service: Service
let placements: TokenPlacement[]
let callers: Caller[]

t.before(async () => {
  await cluster.start()
  placements = await tokensOnEveryNode(cluster, 3)
  const client = cluster.client()
  await client.sadd('global_features', ...GLOBAL)
  await client.sadd('active_features', ...ACTIVE)
  await Promise.all(placements.map(async ({ token, userId }, i) => {
    await client.set(`token:${token}`, userId)
    await client.sadd(`features:user:${userId}`, ...ownOf(i))
  }))
  // A token key of the wrong type: its caller alone gets a 500.
  await client.hset('token:wrongtype', 'not', 'a string')
  client.disconnect()
  callers = placements.map(({ token }, i) => ({
    headers: { authorization: `Bearer ${token}` },
    body: body([...GLOBAL, ...ownOf(i).filter((f) => ACTIVE.includes(f))]),
  }))
  service = await startService({ REDIS_USERS_URL: cluster.url(), REDIS_FEATURES_URL: cluster.url() })
})
t.teardown(async () => {
  await service?.stop()
  await cluster.stop()
})

async function get (path: string, headers: Record<string, string> = {}): Promise<{ status: number, text: string, retryAfter: string | null }> {
  const res = await fetch(service.url + path, { headers })
  return { status: res.status, text: await res.text(), retryAfter: res.headers.get('retry-after') }
}

async function post (path: string, headers: Record<string, string> = {}): Promise<{ status: number, json: unknown }> {
  const res = await fetch(service.url + path, { method: 'POST', body: '{"context":{}}', headers: { 'content-type': 'application/json', ...headers } })
  return { status: res.status, json: await res.json() }
}

/** The sum of tideflags_redis_errors_total over its kinds, from the cluster-wide /metrics. */
async function redisErrors (): Promise<Record<string, number>> {
  const text = (await get('/metrics')).text
  const kinds: Record<string, number> = {}
  for (const m of text.matchAll(/^tideflags_redis_errors_total\{kind="(\w+)"\} (\d+)/gm)) kinds[m[1] as string] = Number(m[2])
  return kinds
}
const total = (kinds: Record<string, number>): number => Object.values(kinds).reduce((a, b) => a + b, 0)

t.test('the /features and OFREP routes answer right for tokens and users on every node', async (t) => {
  const ports = new Set(placements.flatMap((p) => [p.tokenPort, p.userPort]))
  t.equal(ports.size, 3, 'the tokens and the user sets lie on all three primaries')
  for (const [i, { token }] of placements.entries()) {
    const bearer = await get('/features', { authorization: `Bearer ${token}` })
    t.same([bearer.status, bearer.text], [200, callers[i]?.body], `token ${token}: global ∪ (own ∩ active)`)
    const basic = await get('/features', { authorization: 'Basic ' + Buffer.from(`app:${token}`).toString('base64') })
    t.equal(basic.text, bearer.text, 'the Basic form answers the same')
  }
  t.same(await get('/features'), { status: 200, text: body(GLOBAL), retryAfter: null }, 'anonymous: the global features')
  t.equal((await get('/features', { authorization: 'Bearer nobody' })).status, 401, 'an unknown token: 401')
  t.equal((await get('/features', { authorization: 'Bearer wrongtype' })).status, 500, 'a token key of the wrong type: 500 for its caller')

  // A batch that mixes all of them: each caller gets its own answer in one turn.
  const mixed = await Promise.all([...placements.map(({ token }) => get('/features', { authorization: `Bearer ${token}` })), get('/features', { authorization: 'Bearer wrongtype' })])
  t.same(mixed.map((r) => r.status), [...placements.map(() => 200), 500], 'one wrong-typed key fails its own caller only')
  t.same(mixed.slice(0, -1).map((r) => r.text), callers.map((c) => c.body))

  const first = placements[0] as TokenPlacement
  const flags = await post('/ofrep/v1/evaluate/flags', { authorization: `Bearer ${first.token}` })
  const reasons = Object.fromEntries((flags.json as { flags: Array<{ key: string, reason: string }> }).flags.map((f) => [f.key, f.reason]))
  t.same(reasons, { a1: 'DISABLED', a2: 'DISABLED', a3: 'DISABLED', a4: 'DISABLED', a5: 'DISABLED', g_one: 'STATIC', g_two: 'STATIC', ...Object.fromEntries(ownOf(0).filter((f) => ACTIVE.includes(f)).map((f) => [f, 'TARGETING_MATCH'])) },
    'OFREP bulk: global STATIC, the user\'s active features TARGETING_MATCH, the rest DISABLED')
  const one = await post(`/ofrep/v1/evaluate/flags/${ownOf(0)[0] as string}`, { authorization: `Bearer ${first.token}` })
  t.match(one, { status: 200, json: { value: true, reason: 'TARGETING_MATCH' } }, 'OFREP single flag')
  t.match(await post('/ofrep/v1/evaluate/flags/nope'), { status: 404, json: { errorCode: 'FLAG_NOT_FOUND' } }, 'an unknown flag')

  t.equal((await get('/readyz')).status, 200, '/readyz: every primary answers')
  const up = [...(await get('/metrics')).text.matchAll(/^tideflags_redis_node_up\{redis="features",node="127\.0\.0\.1:(\d+)"\} 1$/gm)].map((m) => Number(m[1]))
  t.same(up.sort(), [...ports].sort(), '/metrics: tideflags_redis_node_up reports each primary')
  t.end()
})

t.test('moving slots between primaries under load: no wrong answer, errors bounded and counted', async (t) => {
  const from = (placements[0] as TokenPlacement).tokenPort
  const to = [...new Set(placements.map((p) => p.tokenPort))].find((p) => p !== from) as number
  // The slots of every token and user set on `from`: the load reads each of them throughout.
  const keys = placements.flatMap((p) => [p.tokenPort === from ? `token:${p.token}` : '', p.userPort === from ? `features:user:${p.userId}` : '']).filter((k) => k !== '')
  const slots = [...new Set(await cluster.keySlots(keys))]
  const errorsBefore = total(await redisErrors())
  const loading = checkedLoad(service.url, callers, { ms: 5_000, connections: 8 })
  await sleep(500)
  // Half of each slot's keys moved, then a pause: callers meet ASK for the moved half, then MOVED.
  const moved = await cluster.moveSlots(from, to, slots, { whileMigrating: async () => await sleep(150) })
  const run = await loading
  t.comment(`moved ${moved.slots.length} slots (${moved.keys} keys) from ${from} to ${to} in ${moved.ms} ms`)
  t.comment(describeLoad('during the reshard', run))
  t.equal(run.wrong.length, 0, 'no wrong answer'); for (const w of run.wrong.slice(0, 3)) t.comment('WRONG', JSON.stringify(w))
  t.equal(run.failed, 0, 'no request hung or lost its connection')
  t.same(run.other, {}, 'no 500: ASK and MOVED are followed, not reported')
  t.ok(run.unavailable <= run.samples.length / 100, `at most 1% 503s (${run.unavailable} of ${run.samples.length})`)
  // Each 503 is a request failed by Redis, and the metrics count every one.
  await sleep(1_100) // the cluster-wide /metrics may be up to 1 s old
  t.equal(total(await redisErrors()) - errorsBefore, run.unavailable, 'every 503 is counted in tideflags_redis_errors_total')
  for (const key of keys) t.equal(await cluster.nodeForKey(key), to, `${key} now lives on ${to}`)
  t.end()
})

t.test('killing a primary under load: 503s with Retry-After only during the failover, no hang, no wrong answer, recovery without a restart', async (t) => {
  const victim = (placements[1] as TokenPlacement).userPort
  const loading = checkedLoad(service.url, callers, { ms: 9_000, connections: 8 })
  await sleep(1_500)
  const failover = await cluster.failover(victim, { kill: true })
  t.comment(`replica ${failover.newPrimaryPort} promoted ${failover.promotedMs} ms after the kill; cluster ok after ${failover.readyMs} ms`)
  const run = await loading
  t.comment(describeLoad('during the failover', run))
  t.equal(run.wrong.length, 0, 'no wrong answer'); for (const w of run.wrong.slice(0, 3)) t.comment('WRONG', JSON.stringify(w))
  t.equal(run.failed, 0, 'no request hung past 3 s or lost its connection')
  t.same(run.other, {}, 'nothing but 200 and 503')
  t.equal(run.bare503, 0, 'every 503 carries Retry-After')
  const lastSecond = run.samples.filter((s) => s.at > 8_000)
  t.ok(lastSecond.length > 0 && lastSecond.every((s) => s.status === 200), `the last second is all 200 (${lastSecond.length} requests)`)
  if (run.window !== undefined) t.comment(`failover window seen by clients: ${run.window.last - run.window.first} ms`)
  t.equal(service.process.exitCode, null, 'the service was not restarted')
  t.equal((await get('/readyz')).status, 200, '/readyz: ready again')
  const metrics = (await get('/metrics')).text
  t.match(metrics, new RegExp(`tideflags_redis_node_up\\{redis="features",node="127\\.0\\.0\\.1:${failover.newPrimaryPort}"\\} 1`), 'the promoted replica is watched as a primary')
  t.notMatch(metrics, new RegExp(`node="127\\.0\\.0\\.1:${victim}"`), 'the dead primary is no longer among the nodes used')
  t.end()
})
