// Admin writes under stress: writes racing on one feature through two listeners (two workers), a
// Redis killed in the middle of writes, and keys of the wrong type. Each write and its audit entry
// are one script: both happen or neither does.

import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { READ_TOKEN, request, startAdmin, WRITE_TOKEN, type AdminApp } from '../../helpers/admin.js'
import { RedisServer } from '../../helpers/redis-server.js'

interface Entry { id: string, action: string, target: string, before: unknown, after: unknown }

async function wholeAudit (app: AdminApp): Promise<Entry[]> {
  const entries: Entry[] = []
  let before: string | null | undefined
  do {
    const page = await request(app.url, 'GET', `/admin/v1/audit?limit=500${before === undefined ? '' : `&before=${before}`}`, { token: READ_TOKEN })
    entries.push(...page.json.entries as Entry[])
    before = page.json.next
  } while (before !== null)
  return entries.reverse() // oldest first
}

/**
 * Two listeners (as two workers would be) over a new users Redis and `features`; the test's teardown
 * closes them and stops both Redis.
 */
async function twoWorkers (t: Test, features: RedisServer): Promise<[AdminApp, AdminApp, RedisServer]> {
  const users = await new RedisServer().start()
  const env = { REDIS_USERS_URL: users.url, REDIS_FEATURES_URL: features.url }
  const a = await startAdmin(env)
  const b = await startAdmin(env)
  t.teardown(async () => { await a.close(); await b.close(); await users.stop(); await features.stop() })
  return [a, b, users]
}

t.test('writes racing on one feature through two workers are each audited, and the audit chain ends in the final state', async (t) => {
  const features = await new RedisServer().start()
  const [a, b] = await twoWorkers(t, features)
  const writes: Promise<unknown>[] = []
  for (let i = 0; i < 40; i++) {
    const app = i % 2 === 0 ? a : b
    writes.push(request(app.url, 'PUT', '/admin/v1/features/f/rollout', { token: WRITE_TOKEN, body: { percent: i + 1 } }))
    writes.push(request(app.url, i % 3 === 0 ? 'DELETE' : 'PUT', '/admin/v1/features/f/global', { token: WRITE_TOKEN }))
  }
  const answers = await Promise.all(writes) as { status: number, json: { changed: boolean } }[]
  t.ok(answers.every((x) => x.status === 200), 'every write succeeded')
  const entries = await wholeAudit(a)
  const rollout = entries.filter((e) => e.target === 'rollout f')
  t.equal(rollout.length, 40, 'each rollout write changed the percent, and each is in the trail')
  t.equal(entries.length, answers.filter((x) => x.json.changed).length, 'exactly the writes that changed something are audited')
  for (const target of ['rollout f', 'global_features f']) {
    const chain = entries.filter((e) => e.target === target)
    let previous: unknown = target === 'rollout f' ? null : false
    for (const entry of chain) {
      t.same(entry.before, previous, `${target} ${entry.id}: its before is the previous entry's after`)
      previous = entry.after
    }
    const client = features.client()
    const final = target === 'rollout f' ? await client.hget('rollout', 'f') : (await client.sismember('global_features', 'f')) === 1
    client.disconnect()
    t.same(final, previous, `${target}: the final state is the last entry's after`)
  }
  t.end()
})

t.test('a Redis killed during a stream of writes leaves every change with its audit entry, and no entry without its change', async (t) => {
  // AOF fsynced on every write: what Redis acknowledged survives the kill, as in production.
  const dir = mkdtempSync(join(tmpdir(), 'tideflags-admin-aof-'))
  const features = await new RedisServer(['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir]).start()
  const [a, b] = await twoWorkers(t, features)
  const acknowledged: string[] = []
  let stop = false
  const writer = async (app: AdminApp, prefix: string): Promise<void> => {
    for (let i = 0; !stop; i++) {
      const feature = `${prefix}${i}`
      const answer = await request(app.url, 'PUT', `/admin/v1/locations/ES/features/${feature}`, { token: WRITE_TOKEN })
      if (answer.status === 200) acknowledged.push(feature)
      else if (answer.status !== 503) throw new Error(`unexpected ${answer.status}`)
    }
  }
  const running = Promise.all([writer(a, 'a'), writer(b, 'b'), writer(a, 'c'), writer(b, 'd')])
  while (acknowledged.length < 10) await sleep(10)
  const before = acknowledged.length
  await features.kill()
  await sleep(100)
  stop = true
  await running
  await features.start() // the same port and directory: Redis reloads its AOF
  await sleep(200)
  const client = features.client()
  t.teardown(() => client.disconnect())
  const members = new Set(await client.smembers('location:ES'))
  const audited = new Set((await client.xrange('audit', '-', '+')).map(([, fields]) => (fields[fields.indexOf('target') + 1] as string).split(' ')[1] as string))
  t.ok(before >= 10, `writes were flowing when Redis died (${before} acknowledged)`)
  t.same([...members].filter((f) => !audited.has(f)), [], 'no change without its entry')
  t.same([...audited].filter((f) => !members.has(f)), [], 'no entry without its change')
  t.same(acknowledged.filter((f) => !members.has(f)), [], 'every acknowledged write survived')
  t.end()
})

t.test('a write in flight when Redis dies answers 503 and leaves neither the change nor the entry', async (t) => {
  t.plan(4)
  const dir = mkdtempSync(join(tmpdir(), 'tideflags-admin-aof-'))
  const features = await new RedisServer(['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir]).start()
  const [a, , users] = await twoWorkers(t, features)
  features.pause() // the write reaches a Redis that will never run it
  const pending = request(a.url, 'PUT', '/admin/v1/features/f/global', { token: WRITE_TOKEN })
  await sleep(50)
  await features.kill()
  const answer = await pending
  t.same([answer.status, answer.json.key], [503, 'service_unavailable'])
  await features.start()
  const client = features.client()
  t.teardown(() => client.disconnect())
  t.equal(await client.sismember('global_features', 'f'), 0)
  t.equal(await client.exists('audit'), 0)
  // The client reconnects on its own, within its 1 s backoff.
  let status = 0
  for (const deadline = Date.now() + 5_000; status !== 200 && Date.now() < deadline; await sleep(50)) {
    status = (await request(a.url, 'PUT', '/admin/v1/features/f/global', { token: WRITE_TOKEN })).status
  }
  t.equal(status, 200, 'the listener recovers with Redis')
})

t.test('keys of the wrong type fail the write with 500 before anything is written', async (t) => {
  t.plan(6)
  const features = await new RedisServer().start()
  const [a] = await twoWorkers(t, features)
  const client = features.client()
  t.teardown(() => client.disconnect())
  await client.set('features:user:9', 'not a set')
  const wrongSet = await request(a.url, 'PUT', '/admin/v1/users/9/features/f', { token: WRITE_TOKEN })
  t.same([wrongSet.status, wrongSet.json.key], [500, 'internal_server_error'])
  t.equal(await client.exists('audit'), 0, 'no entry for the failed write')
  await client.set('audit', 'not a stream')
  for (const [path, body] of [['/admin/v1/features/f/global'], ['/admin/v1/features/f/rollout', { percent: 5 }], ['/admin/v1/features/f/schedule', { days: 'mon' }]] as [string, unknown?][]) {
    const answer = await request(a.url, 'PUT', path, { token: WRITE_TOKEN, body })
    t.equal(answer.status, 500, path)
  }
  t.same([await client.exists('global_features'), await client.exists('rollout'), await client.exists('schedule:f')], [0, 0, 0], 'no change without its entry')
})

t.test('reads fail with 503 while Redis is down, and the audit of a wrong-type stream with 500', async (t) => {
  t.plan(5)
  const features = await new RedisServer().start()
  const [a, , users] = await twoWorkers(t, features)
  const client = features.client()
  await client.set('audit', 'x')
  t.equal((await request(a.url, 'GET', '/admin/v1/audit', { token: READ_TOKEN })).status, 500)
  client.disconnect()
  await features.kill()
  for (const [method, path, body] of [['GET', '/admin/v1/features'], ['GET', '/admin/v1/users/1/features'], ['POST', '/admin/v1/explain', { user: '1' }]] as [string, string, unknown?][]) {
    t.equal((await request(a.url, method, path, { token: READ_TOKEN, body })).status, 503, path)
  }
  await users.kill()
  t.equal((await request(a.url, 'POST', '/admin/v1/explain', { token: READ_TOKEN, body: { token: 't' } })).status, 503, 'the users Redis down too')
})
