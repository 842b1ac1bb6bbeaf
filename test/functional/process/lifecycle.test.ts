// The service's life as an operator sees it: real `node dist/main.js` processes, signalled.

import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { request } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { freePort, loadExample, RedisServer } from '../../helpers/redis-server.js'
import { MAIN, startService } from '../../helpers/service.js'

async function get (url: string, headers: Record<string, string> = {}): Promise<{ status: number, body: string }> {
  return await new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { body += c })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    }).on('error', reject)
    // A connection stranded in the primary would hang here forever: fail it, naming the cause.
    req.setTimeout(5_000, () => req.destroy(new Error(`no answer within 5 s from ${url}`)))
    req.end()
  })
}

async function redis (): Promise<{ server: RedisServer, env: Record<string, string> }> {
  const server = await new RedisServer().start()
  const c = server.client()
  await loadExample(c, c)
  c.disconnect()
  return { server, env: { REDIS_USERS_URL: server.url, REDIS_FEATURES_URL: server.url } }
}

t.test('SIGTERM lets in-flight requests finish, then exits 0 within the deadline', async (t) => {
  const { server, env } = await redis()
  t.teardown(async () => { await server.stop() })
  const service = await startService({ ...env, REDIS_COMMAND_TIMEOUT_MS: '5000', SHUTDOWN_TIMEOUT_MS: '4000' }, 2)
  t.teardown(async () => { await service.stop() })
  server.pause() // the requests below wait for Redis: they are in flight when the signal comes
  const inflight = Array.from({ length: 6 }, async () => await get(`${service.url}/features`, { authorization: 'Bearer 1234' }))
  await sleep(300)
  const t0 = Date.now()
  service.process.kill('SIGTERM')
  await sleep(500)
  server.resume()
  const [code] = await once(service.process, 'exit') as [number | null]
  const elapsed = Date.now() - t0
  const answers = await Promise.all(inflight)
  t.same(answers.map((a) => a.status), Array(6).fill(200), 'every in-flight request finished with 200')
  t.equal(code, 0, 'exit code 0')
  t.ok(elapsed >= 500 && elapsed < 4_000, `exited after ${elapsed} ms: after the requests, before the deadline`)
})

t.test('a second SIGTERM while draining exits at once', async (t) => {
  const { server, env } = await redis()
  t.teardown(async () => { await server.stop() })
  const service = await startService({ ...env, REDIS_COMMAND_TIMEOUT_MS: '10000', SHUTDOWN_TIMEOUT_MS: '9000' }, 1)
  t.teardown(async () => { await service.stop() })
  server.pause()
  const stuck = get(`${service.url}/features`).catch(() => undefined)
  await sleep(300)
  service.process.kill('SIGTERM')
  await sleep(300)
  const t0 = Date.now()
  service.process.kill('SIGTERM')
  const [code] = await once(service.process, 'exit') as [number | null]
  t.equal(code, 130, 'exit code 130')
  t.ok(Date.now() - t0 < 1_000, 'at once, not at the 9 s deadline')
  void stuck
})

t.test('Ctrl-C (SIGINT to the whole process group) drains primary and workers and exits 0', async (t) => {
  const port = await freePort()
  const child = spawn(process.execPath, [MAIN], {
    // Coverage on (inherited): this run exercises the primary's and workers' signal paths.
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', WORKERS: '2' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, as a terminal would make
  })
  t.teardown(() => { if (child.exitCode === null) process.kill(-(child.pid as number), 'SIGKILL') })
  let out = ''
  child.stdout.setEncoding('utf8')
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (chunk: string) => {
      out += chunk
      if (out.split('"service ready"').length > 1) resolve()
    })
  })
  t.equal((await get(`http://127.0.0.1:${port}/features`)).status, 200, 'serving')
  const t0 = Date.now()
  process.kill(-(child.pid as number), 'SIGINT')
  const [code] = await once(child, 'exit') as [number | null]
  t.equal(code, 0, 'exit code 0, not the 130 of a second signal')
  t.ok(Date.now() - t0 < 3_000, 'promptly')
  t.equal(out.split('"worker drained"').length - 1, 2, 'both workers drained')
})

t.test('SIGHUP replaces every worker one at a time while the service keeps answering', async (t) => {
  const service = await startService({}, 2)
  t.teardown(async () => { await service.stop() })
  const before = service.logs.filter((l) => l.msg === 'worker listening').map((l) => l.pid)
  service.process.kill('SIGHUP')
  await sleep(50) // signals of one kind do not queue: let the first be taken before the second
  service.process.kill('SIGHUP') // a second one during the roll is ignored, not stacked
  await service.waitForLog((l) => l.msg === 'rolling restart done', 1, 20_000)
  // A worker's own log line and its 'ready' message to the primary travel on different channels: the
  // primary may log 'done' before the last new worker's 'listening' line has been read.
  await service.waitForLog((l) => l.msg === 'worker listening', 4, 5_000)
  const after = service.logs.filter((l) => l.msg === 'worker listening').map((l) => l.pid).filter((p) => !before.includes(p))
  t.equal(after.length, 2, 'two new workers')
  t.ok(service.logs.some((l) => l.msg === 'rolling restart already in progress; SIGHUP ignored'), 'the repeated SIGHUP was ignored')
  t.equal((await get(`${service.url}/features`)).status, 200, 'serving after the roll')
  t.notOk(service.logs.some((l) => l.msg === 'worker died unexpectedly; replacing it'), 'retired workers were not taken for crashes')
  t.equal(await service.stop(), 0, 'stops cleanly afterwards')
})

t.test('one /metrics scrape returns the whole cluster, whichever worker answers', async (t) => {
  const service = await startService({}, 2)
  t.teardown(async () => { await service.stop() })
  // A new connection per request: the primary's round-robin spreads them over both workers.
  for (let i = 0; i < 40; i++) t.equal((await get(`${service.url}/features`)).status, 200)
  for (let i = 0; i < 4; i++) {
    const scrape = await get(`${service.url}/metrics`)
    t.equal(scrape.status, 200)
    t.match(scrape.body, 'tideflags_http_requests_total{route="/features",status="200"} 40', `scrape ${i + 1} counts all 40`)
    t.match(scrape.body, /process_resident_memory_bytes \d+/, 'with process metrics')
  }
})

t.test('the access log, when on, has one line per request and never a token', async (t) => {
  const service = await startService({ ACCESS_LOG: '1' }, 1)
  t.teardown(async () => { await service.stop() })
  await get(`${service.url}/features?token=querysecret`, { authorization: 'Bearer headersecret' })
  await service.waitForLog((l) => l.log === 'access', 1, 5_000)
  const line = service.logs.find((l) => l.log === 'access') as Record<string, unknown>
  t.match(line, { method: 'GET', path: '/features', status: 401 })
  t.notMatch(JSON.stringify(service.logs), /secret/, 'neither the header token nor the query string is logged')
})

t.test('with the access log off (the default) no per-request line is written', async (t) => {
  const service = await startService({}, 1)
  t.teardown(async () => { await service.stop() })
  await get(`${service.url}/features`)
  await sleep(200)
  t.notOk(service.logs.some((l) => l.log === 'access'))
})

// `node dist/main.js` with coverage inherited, its JSON log lines collected.
async function spawnMain (env: Record<string, string>): Promise<{ child: ReturnType<typeof spawn>, logs: Record<string, unknown>[], port: number, until: (msg: string, timeoutMs?: number) => Promise<Record<string, unknown>> }> {
  const port = await freePort()
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ...env }, stdio: ['ignore', 'pipe', 'ignore'] })
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
  const until = async (msg: string, timeoutMs = 15_000): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const line = logs.find((l) => l.msg === msg)
      if (line !== undefined) return line
      if (Date.now() > deadline) throw new Error(`no "${msg}" in ${JSON.stringify(logs)}`)
      await sleep(20)
    }
  }
  return { child, logs, port, until }
}

t.test('a worker that cannot stop is killed by the primary at its deadline, which then exits 1', async (t) => {
  const svc = await spawnMain({ WORKERS: '1', SHUTDOWN_TIMEOUT_MS: '300' })
  t.teardown(() => { if (svc.child.exitCode === null) svc.child.kill('SIGKILL') })
  const worker = (await svc.until('worker listening')).pid as number
  process.kill(worker, 'SIGSTOP') // frozen: it can neither drain nor hit its own deadline
  const t0 = Date.now()
  svc.child.kill('SIGTERM')
  const [code] = await once(svc.child, 'exit') as [number | null]
  const elapsed = Date.now() - t0
  t.equal(code, 1, 'exit code 1')
  t.ok(elapsed >= 1_200 && elapsed < 3_000, `after the worker deadline plus the primary's 1 s margin (${elapsed} ms)`)
  t.ok(svc.logs.some((l) => l.msg === 'workers did not stop in time; killing them'), 'says why')
  // Killed, then reaped by init once its parent is gone: poll rather than guess how soon.
  let alive = true
  for (let i = 0; i < 100 && alive; i++) {
    try { process.kill(worker, 0); await sleep(20) } catch { alive = false }
  }
  t.notOk(alive, 'the frozen worker is gone')
})

t.test('a worker whose Redis is down at boot listens after 5 s, answers 503, and serves once Redis comes', async (t) => {
  const redis = new RedisServer()
  redis.port = await freePort()
  t.teardown(async () => { await redis.stop() })
  const svc = await spawnMain({ WORKERS: '1', REDIS_USERS_URL: redis.url, REDIS_FEATURES_URL: redis.url })
  t.teardown(async () => { if (svc.child.exitCode === null) { svc.child.kill('SIGTERM'); await once(svc.child, 'exit') } })
  await svc.until('worker listening', 10_000)
  t.ok(svc.logs.some((l) => l.msg === 'feature store not reachable yet; listening anyway (503 until it is)'), 'says so')
  const url = `http://127.0.0.1:${svc.port}`
  t.equal((await get(`${url}/features`)).status, 503, '503 meanwhile')
  t.equal((await get(`${url}/readyz`)).status, 503, 'not ready meanwhile')
  await redis.start()
  let status = 0
  for (let i = 0; i < 100 && status !== 200; i++) { await sleep(50); status = (await get(`${url}/readyz`)).status }
  t.equal(status, 200, 'ready once Redis listens')
  t.equal((await get(`${url}/features`)).status, 200, 'and serving')
})

t.test('the primary tells a supervisor that waits on IPC when the service is ready, and ignores SIGHUP once stopping', async (t) => {
  const port = await freePort()
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', WORKERS: '1' }, stdio: ['ignore', 'pipe', 'ignore', 'ipc'] })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let out = ''
  child.stdout?.setEncoding('utf8')
  child.stdout?.on('data', (c: string) => { out += c })
  const [message] = await once(child, 'message') as [unknown]
  t.equal(message, 'ready', "pm2's wait_ready message")
  child.kill('SIGTERM')
  await sleep(20)
  child.kill('SIGHUP')
  const [code] = await once(child, 'exit') as [number | null]
  t.equal(code, 0)
  t.notMatch(out, 'rolling restart begins', 'no roll during a shutdown')
})
