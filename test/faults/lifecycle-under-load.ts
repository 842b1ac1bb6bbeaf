// Fault tests: real processes, real load (autocannon), real redis-server instances on free ports.
// `npm run test:faults` (CI runs it too). Every test prints its figures in a `# FIGURES` comment.

import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'
import { freePort, loadExample, RedisServer, seedExample } from '../helpers/redis-server.js'
import { startService, type Service } from '../helpers/service.js'
import { load, summary } from './load.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const PM2 = join(ROOT, 'node_modules', '.bin', 'pm2')
const run = promisify(execFile)
const BEARER = { authorization: 'Bearer 1234' }

async function redisPair (): Promise<{ users: RedisServer, features: RedisServer, env: Record<string, string> }> {
  const users = await new RedisServer().start()
  const features = await new RedisServer().start()
  await seedExample(users, features)
  return { users, features, env: { REDIS_USERS_URL: users.url, REDIS_FEATURES_URL: features.url, LOG_LEVEL: 'info' } }
}

function workerPids (service: Service): number[] {
  return service.logs.filter((l) => l.msg === 'worker listening').map((l) => l.pid as number)
}

t.test('a features Redis outage under load gives only prompt 503s, then only 200s, and no worker restarts', async (t) => {
  const { users, features, env } = await redisPair()
  t.teardown(async () => { await users.stop(); await features.stop() })
  const service = await startService(env, 2)
  t.teardown(async () => { await service.stop() })
  let killedAt = 0
  let restartedAt = 0
  const started = Date.now()
  const outage = (async () => {
    await sleep(3_000)
    killedAt = Date.now() - started
    await features.kill()
    await sleep(2_000)
    await features.start()
    restartedAt = Date.now() - started
    const f = features.client()
    await loadExample(f, f) // the features half; the users key lands in the features Redis too, harmless
    f.disconnect()
  })()
  const r = await load({ url: `${service.url}/features`, seconds: 10, connections: 20, headers: BEARER })
  await outage
  const bad = r.samples.filter((s) => s.status !== 200 && s.status !== 503)
  const during = r.samples.filter((s) => s.at > killedAt + 50 && s.at < restartedAt)
  // Each worker reconnects on its own schedule (ioredis retries at most 1 s apart): "after" starts
  // once both have, i.e. after the last non-200 that follows the restart.
  const firstOkAfter = r.samples.find((s) => s.at > restartedAt && s.status === 200)?.at ?? Infinity
  const lastBadAfter = Math.max(restartedAt, ...r.samples.filter((s) => s.at > restartedAt && s.status !== 200).map((s) => s.at))
  const recovering = r.samples.filter((s) => s.at > restartedAt && s.at <= lastBadAfter)
  const after = r.samples.filter((s) => s.at > lastBadAfter)
  const non200After = after.filter((s) => s.status !== 200).length
  const maxDuring = Math.max(0, ...during.map((s) => s.latency))
  t.comment('FIGURES ' + summary('redis outage', r, {
    during: during.length, during503: during.filter((s) => s.status === 503).length, maxLatencyDuringMs: maxDuring,
    firstOkMsAfterRestart: firstOkAfter - restartedAt, fullyRecoveredMsAfterRestart: lastBadAfter - restartedAt,
    recovering503: recovering.filter((s) => s.status === 503).length, after: after.length, non200After,
  }))
  t.equal(bad.length, 0, 'every response is 200 or 503')
  t.equal(r.errors, 0, 'no socket errors')
  t.ok(during.length > 0 && during.every((s) => s.status === 503), 'only 503 while Redis is down')
  t.ok(maxDuring < 1_000, 'every response during the outage within a second')
  t.ok(after.length > 0 && non200After === 0, 'only 200 once service came back')
  t.ok(lastBadAfter - restartedAt < 1_500, 'every worker is back within 1.5 s of Redis')
  t.notOk(service.logs.some((l) => l.msg === 'worker died unexpectedly; replacing it'), 'no worker restarted')
  t.equal(workerPids(service).length, 2, 'the same two workers served throughout')
})

t.test('a SIGHUP rolling restart under load fails no request', async (t) => {
  const { users, features, env } = await redisPair()
  t.teardown(async () => { await users.stop(); await features.stop() })
  const service = await startService(env, 2)
  t.teardown(async () => { await service.stop() })
  const before = workerPids(service)
  const rolled = (async () => {
    await sleep(2_000)
    service.process.kill('SIGHUP')
    await service.waitForLog((l) => l.msg === 'rolling restart done', 1, 20_000)
  })()
  const r = await load({ url: `${service.url}/features`, seconds: 8, connections: 20, headers: BEARER })
  await rolled
  const after = workerPids(service).filter((p) => !before.includes(p))
  t.comment('FIGURES ' + summary('SIGHUP rolling restart', r, { replaced: after.length }))
  t.equal(after.length, 2, 'both workers were replaced')
  t.equal(r.non2xx, 0, 'zero non-2xx')
  t.equal(r.errors, 0, 'zero socket errors')
  t.equal(r.timeouts, 0, 'zero timeouts')
})

t.test('pm2 reload of the shipped ecosystem file under load fails no request', async (t) => {
  const { users, features, env } = await redisPair()
  const home = await mkdtemp(join(tmpdir(), 'tideflags-pm2-'))
  const port = await freePort()
  const pm2Env = { ...process.env, ...env, PM2_HOME: home, PORT: String(port), HOST: '127.0.0.1', NODE_V8_COVERAGE: '' }
  const pm2 = async (...args: string[]): Promise<string> => (await run(PM2, args, { cwd: ROOT, env: pm2Env })).stdout
  t.teardown(async () => {
    await pm2('kill').catch(() => {})
    await users.stop()
    await features.stop()
    await rm(home, { recursive: true, force: true })
  })
  await pm2('start', 'ecosystem.config.cjs')
  const list = async (): Promise<Array<{ pid: number, pm2_env: { status: string } }>> => JSON.parse(await pm2('jlist')) as Array<{ pid: number, pm2_env: { status: string } }>
  const before = (await list()).map((p) => p.pid)
  await waitFor200(`http://127.0.0.1:${port}/features`)
  const reloaded = (async () => {
    await sleep(2_000)
    const t0 = Date.now()
    await pm2('reload', 'tideflags')
    return Date.now() - t0
  })()
  const r = await load({ url: `http://127.0.0.1:${port}/features`, seconds: 10, connections: 20, headers: BEARER })
  const reloadMs = await reloaded
  const afterList = await list()
  const replaced = afterList.filter((p) => !before.includes(p.pid) && p.pm2_env.status === 'online').length
  t.comment('FIGURES ' + summary('pm2 reload', r, { instances: before.length, replaced, reloadMs }))
  t.equal(replaced, before.length, 'every instance was replaced and is online')
  t.equal(r.non2xx, 0, 'zero non-2xx')
  t.equal(r.errors, 0, 'zero socket errors')
  t.equal(r.timeouts, 0, 'zero timeouts')
})

t.test('a worker killed with SIGKILL under load is replaced, failing at most its in-flight requests', async (t) => {
  const { users, features, env } = await redisPair()
  t.teardown(async () => { await users.stop(); await features.stop() })
  const service = await startService(env, 2)
  t.teardown(async () => { await service.stop() })
  const victim = workerPids(service)[0] as number
  const connections = 20
  const killed = (async () => {
    await sleep(2_000)
    process.kill(victim, 'SIGKILL')
    await service.waitForLog((l) => l.msg === 'worker listening', 3, 10_000)
  })()
  const r = await load({ url: `${service.url}/features`, seconds: 6, connections, headers: BEARER })
  await killed
  t.comment('FIGURES ' + summary('kill -9 worker', r, { replacedBy: workerPids(service)[2] }))
  t.equal(workerPids(service).length, 3, 'a replacement worker listens')
  t.ok(r.errors + r.non2xx <= connections, `failed requests (${r.errors + r.non2xx}) at most the ${connections} that can be in flight`)
  t.equal(r.non2xx, 0, 'no error responses: only connections of the dead worker broke')
})

t.test('SIGTERM with requests in flight lets them finish, exits 0 within the deadline', async (t) => {
  const { users, features, env } = await redisPair()
  // A long command timeout so the stalled requests wait for Redis instead of failing.
  t.teardown(async () => { await users.stop(); await features.stop() })
  const service = await startService({ ...env, REDIS_COMMAND_TIMEOUT_MS: '5000', SHUTDOWN_TIMEOUT_MS: '4000' }, 2)
  t.teardown(async () => { await service.stop() })
  features.pause()
  const inflight = Array.from({ length: 10 }, async () => await get(`${service.url}/features`))
  await sleep(300)
  const t0 = Date.now()
  service.process.kill('SIGTERM')
  await sleep(700)
  features.resume()
  const [code] = await once(service.process, 'exit') as [number | null]
  const elapsed = Date.now() - t0
  const statuses = await Promise.all(inflight)
  t.comment(`FIGURES SIGTERM in flight: requests=${statuses.length} statuses=${JSON.stringify(statuses)} exit=${code} elapsedMs=${elapsed} deadlineMs=4000`)
  t.same(statuses, Array(10).fill(200), 'every in-flight request finished with 200')
  t.equal(code, 0, 'exit code 0')
  t.ok(elapsed < 4_000, 'within the deadline')
})

async function get (url: string): Promise<number> {
  return await new Promise((resolve, reject) => {
    request(url, { agent: false }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)) }).on('error', reject).end()
  })
}

async function waitFor200 (url: string): Promise<void> {
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    if (await get(url).catch(() => 0) === 200) return
    await sleep(100)
  }
  throw new Error(`${url} never answered 200`)
}
