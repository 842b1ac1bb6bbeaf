// What the built cluster (node dist/main.js) says about its readiness when Redis is down at boot:
// it listens and says so, and it says "ready" (log line and supervisor message) only once Redis answers.
// The admin listener waits for its own store within the same deadline.

import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { freePort, RedisServer } from '../../helpers/redis-server.js'
import { MAIN } from '../../helpers/service.js'

async function status (url: string): Promise<number> {
  return await new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)) })
    req.on('error', reject)
    req.setTimeout(5_000, () => req.destroy(new Error(`no answer within 5 s from ${url}`)))
    req.end()
  })
}

const LISTENING_LINE = 'service listening; feature store not reachable yet (503 until it is)'

/**
 * Start the built service with one worker and `env` on top of the caller's, without an IPC channel
 * (as a plain `npm start`), and wait until it says it listens without its store. `output()` is its
 * stdout so far; the process is killed at teardown if still running.
 */
async function startWithoutStore (t: Test, env: Record<string, string>): Promise<{ child: ChildProcess, output: () => string }> {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, HOST: '127.0.0.1', WORKERS: '1', ...env },
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  let out = ''
  child.stdout?.setEncoding('utf8')
  child.stdout?.on('data', (c: string) => { out += c })
  for (let i = 0; i < 1_000 && !out.includes(LISTENING_LINE); i++) await sleep(20)
  return { child, output: () => out }
}

t.test('with Redis unreachable at boot the service says it listens, not that it is ready, until Redis answers', async (t) => {
  t.plan(10)
  const redis = new RedisServer()
  redis.port = await freePort()
  t.teardown(async () => { await redis.stop() })
  const port = await freePort()
  // An IPC channel, as pm2 (fork mode, wait_ready) gives the primary.
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', WORKERS: '2', REDIS_USERS_URL: redis.url, REDIS_FEATURES_URL: redis.url },
    stdio: ['ignore', 'pipe', 'ignore', 'ipc'],
  })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  const messages: unknown[] = []
  child.on('message', (m: unknown) => messages.push(m))
  const logs: Record<string, unknown>[] = []
  let buffered = ''
  child.stdout?.setEncoding('utf8')
  child.stdout?.on('data', (chunk: string) => {
    buffered += chunk
    let nl
    while ((nl = buffered.indexOf('\n')) !== -1) {
      logs.push(JSON.parse(buffered.slice(0, nl)) as Record<string, unknown>)
      buffered = buffered.slice(nl + 1)
    }
  })
  const count = (msg: string): number => logs.filter((l) => l.msg === msg).length
  const until = async (check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; logs: ${JSON.stringify(logs)}`)
      await sleep(20)
    }
  }

  await until(() => count(LISTENING_LINE) === 1, 'the listening line')
  // The primary says so on node's 'listening' event, which can overtake a worker's own log line
  // (seen once under a loaded CI run): wait for both lines, within the same deadline.
  await until(() => count('worker listening') === 2, 'both workers\' listening lines')
  t.equal(count('worker listening'), 2, 'both workers listen')
  // A worker reports within milliseconds of listening: give a wrong "ready" every chance to show.
  await sleep(1_000)
  t.equal(count('service ready'), 0, 'no "service ready" while Redis is down')
  t.notOk(messages.includes('ready'), 'no ready message to the supervisor either')
  t.equal(await status(`http://127.0.0.1:${port}/readyz`), 503, '/readyz agrees')

  await redis.start()
  await until(() => count('service ready') === 1, '"service ready"')
  t.equal(count('feature store reachable; worker ready'), 2, 'each worker reported its store answers')
  await until(() => messages.includes('ready'), 'the supervisor message')
  t.equal(messages.filter((m) => m === 'ready').length, 1, 'the supervisor is told once')
  t.equal(await status(`http://127.0.0.1:${port}/readyz`), 200, '/readyz agrees')
  t.equal(await status(`http://127.0.0.1:${port}/features`), 200, 'and the service serves')
  t.equal(count(LISTENING_LINE), 1, 'the listening line was said once')
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit') as [number | null]
  t.equal(code, 0, 'stops cleanly')
})

t.test('a service stopped before Redis ever answers exits cleanly and never says it is ready', async (t) => {
  t.plan(3)
  const redisPort = await freePort()
  const { child, output } = await startWithoutStore(t, {
    PORT: String(await freePort()), REDIS_USERS_URL: `redis://127.0.0.1:${redisPort}`, REDIS_FEATURES_URL: `redis://127.0.0.1:${redisPort}`,
  })
  t.match(output(), LISTENING_LINE)
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit') as [number | null]
  t.equal(code, 0, 'exits 0: the store poll does not hold the worker')
  t.notMatch(output(), 'service ready')
})

t.test('with Redis unreachable at boot the admin listener opens after the same wait, answers 503 until Redis answers, then serves', async (t) => {
  t.plan(7)
  const redis = new RedisServer()
  redis.port = await freePort()
  t.teardown(async () => { await redis.stop() })
  const dir = await mkdtemp(join(tmpdir(), 'tf-admin-ready-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const token = 'a'.repeat(64)
  const tokens = join(dir, 'admin-tokens')
  await writeFile(tokens, `ops read ${createHash('sha256').update(token).digest('hex')}\n`)
  const adminPort = await freePort()
  const { child, output } = await startWithoutStore(t, {
    PORT: String(await freePort()), REDIS_USERS_URL: redis.url, REDIS_FEATURES_URL: redis.url, ADMIN_PORT: String(adminPort), ADMIN_TOKENS_FILE: tokens,
  })
  t.match(output(), 'admin store not reachable yet; admin listening anyway (503 until it is)', 'the worker says why the admin listener opened without its store')
  const admin = async (): Promise<{ status: number, retryAfter: string | undefined }> => await new Promise((resolve, reject) => {
    const req = request(`http://127.0.0.1:${adminPort}/admin/v1/features`, { agent: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }))
    })
    req.on('error', reject)
    req.end()
  })
  const down = await admin()
  t.equal(down.status, 503, 'the admin API answers 503 while Redis is down')
  t.ok(down.retryAfter, 'with Retry-After')
  await redis.start()
  let up = await admin()
  for (let i = 0; i < 500 && up.status !== 200; i++) {
    await sleep(20)
    up = await admin()
  }
  t.equal(up.status, 200, 'and serves once Redis answers')
  t.equal((output().match(/admin store not reachable yet/g) ?? []).length, 1, 'said once')
  // The worker polls its feature store and reports READY on its own schedule.
  for (let i = 0; i < 1_000 && !output().includes('service ready'); i++) await sleep(20)
  t.match(output(), 'service ready', 'the service becomes ready')
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit') as [number | null]
  t.equal(code, 0, 'stops cleanly')
})
