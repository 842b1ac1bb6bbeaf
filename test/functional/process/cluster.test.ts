// The built service as operators run it: `node dist/main.js`, a cluster primary and its workers.

import { spawnSync } from 'node:child_process'
import { request } from 'node:http'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { RedisServer, seedExample } from '../../helpers/redis-server.js'
import { MAIN, startService } from '../../helpers/service.js'

/** One request on a fresh connection, so each may land on any worker. */
function httpGet (url: string, headers: Record<string, string> = {}): Promise<{ status: number, body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    // A request must never hang the test: 3 s is far beyond any healthy answer.
    req.setTimeout(3_000, () => req.destroy(new Error('request timed out')))
    req.end()
  })
}

/** The command line a process was started with (Linux /proc). */
function cmdline (pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((arg) => arg !== '')
}

t.test('with no Redis configured the service serves the embedded example at once and says so first', async (t) => {
  t.plan(6)
  const service = await startService({ REDIS_USERS_URL: '', REDIS_FEATURES_URL: '', FEATURES_FILE: '' })
  t.teardown(() => service.stop())
  t.match(service.logs[0], { role: 'primary', store: 'embedded', msg: /embedded development store/ })
  t.equal((await httpGet(service.url + '/features')).body, '{"active_features":["feature_1","feature_2"]}')
  t.equal((await httpGet(service.url + '/features', { authorization: 'Bearer 1234' })).body,
    '{"active_features":["feature_1","feature_2","feature_3"]}')
  const workers = service.logs.filter((line) => line.msg === 'worker listening').map((line) => line.pid as number)
  t.equal(workers.length, 2, 'one worker per WORKERS')
  t.ok(workers.every((pid) => cmdline(pid).includes('--max-semi-space-size=2')), 'workers run with the 2 MB semi-space by default')
  t.equal(await service.stop(), 0, 'SIGTERM stops it cleanly')
})

t.test('WORKER_SEMI_SPACE_MB sets the workers\' semi-space; 0 leaves it to V8', async (t) => {
  t.plan(2)
  for (const [value, expected] of [['8', ['--max-semi-space-size=8']], ['0', []]] as const) {
    const service = await startService({ REDIS_USERS_URL: '', REDIS_FEATURES_URL: '', FEATURES_FILE: '', WORKER_SEMI_SPACE_MB: value }, 1)
    const pid = service.logs.find((line) => line.msg === 'worker listening')?.pid as number
    t.same(cmdline(pid).filter((arg) => arg.includes('semi-space')), expected, `WORKER_SEMI_SPACE_MB=${value}`)
    await service.stop()
  }
})

t.test('with CLUSTER_SCHEDULING none the workers accept connections themselves: a stopped primary does not stop new ones; with rr it does', async (t) => {
  for (const policy of ['none', 'rr'] as const) {
    // Left unset for rr: the default is what is under test too.
    const service = await startService({ REDIS_USERS_URL: '', REDIS_FEATURES_URL: '', FEATURES_FILE: '', ...(policy === 'none' ? { CLUSTER_SCHEDULING: 'none' } : {}) }, 1, true)
    t.teardown(() => service.stop())
    service.process.kill('SIGSTOP')
    try {
      // A new connection each: with rr the primary accepts it and passes it on, so a stopped primary
      // leaves it waiting; with none the worker's own accept answers it.
      const answered = await httpGet(service.url + '/features').then((r) => r.status, () => 0)
      if (policy === 'none') t.equal(answered, 200, 'none: answered while the primary is stopped')
      else t.equal(answered, 0, 'rr: no answer while the primary is stopped')
    } finally {
      service.process.kill('SIGCONT')
    }
    t.equal((await httpGet(service.url + '/features')).status, 200, `${policy}: answered once the primary runs again`)
    await service.stop()
  }
})

const badEnv: [string, Record<string, string>, RegExp][] = [
  ['a bad PORT', { PORT: 'eighty' }, /^tideflags: PORT: expected an integer from 0 to 65535, got "eighty"\n$/],
  ['only one Redis URL', { REDIS_USERS_URL: 'redis://127.0.0.1:1' }, /^tideflags: REDIS_FEATURES_URL: expected set together with REDIS_USERS_URL/],
  ['a bad data file', { FEATURES_FILE: '/nonexistent/features.json' }, /^tideflags: \/nonexistent\/features\.json: cannot read: ENOENT[^\n]*\n$/],
]
for (const [what, env, message] of badEnv) {
  t.test(`${what} stops the process before it forks, with one line saying what was expected`, async (t) => {
    t.plan(3)
    const result = spawnSync(process.execPath, [MAIN], {
      env: { ...process.env, REDIS_USERS_URL: '', REDIS_FEATURES_URL: '', WORKERS: '2', PORT: '0', ...env },
      encoding: 'utf8',
      timeout: 10_000,
    })
    t.equal(result.status, 1)
    t.match(result.stderr, message)
    t.notMatch(result.stdout, /worker listening/, 'no worker was started')
  })
}

t.test('a killed worker is replaced while the other keeps answering', async (t) => {
  t.plan(7)
  const users = await new RedisServer().start()
  const features = await new RedisServer().start()
  await seedExample(users, features)
  const service = await startService({ REDIS_USERS_URL: users.url, REDIS_FEATURES_URL: features.url })
  t.teardown(async () => {
    await service.stop()
    await users.stop()
    await features.stop()
  })
  const workers = service.logs.filter((line) => line.msg === 'worker listening').map((line) => line.pid as number)
  t.equal(workers.length, 2)

  let failures = 0
  const errors: string[] = []
  let successes = 0
  let running = true
  const load = (async () => {
    while (running) {
      try {
        const res = await httpGet(service.url + '/features', { authorization: 'Bearer 1234' })
        if (res.status === 200) successes++
        else failures++
      } catch (err) {
        errors.push((err as Error).message)
      }
    }
  })()
  await sleep(200)
  process.kill(workers[0] as number, 'SIGKILL')
  await service.waitForLog((line) => line.msg === 'worker died unexpectedly; replacing it')
  await service.waitForLog((line) => line.msg === 'worker listening', 3)
  await sleep(200)
  running = false
  await load
  const replacement = service.logs.filter((line) => line.msg === 'worker listening').at(-1)
  t.not(replacement?.pid, workers[0], 'a new worker took its place')
  t.equal(failures, 0, 'no request got an error status')
  // Only a request already handed to the dying worker can fail; the loop has one in flight at a time.
  t.ok(errors.length <= 1, `at most the one request in flight on the killed worker failed (${JSON.stringify(errors)})`)
  t.ok(successes > 10, `requests were served throughout (${successes})`)
  t.equal((await httpGet(service.url + '/features')).status, 200)
  t.equal(await service.stop(), 0)
})

t.test('a port already in use stops the service with exit code 1 instead of crash-looping workers', async (t) => {
  t.plan(3)
  const { createServer } = await import('node:net')
  const blocker = createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => blocker.once('listening', resolve))
  t.teardown(() => blocker.close())
  const { port } = blocker.address() as { port: number }
  const result = spawnSync(process.execPath, [MAIN], {
    env: { ...process.env, REDIS_USERS_URL: '', REDIS_FEATURES_URL: '', WORKERS: '2', PORT: String(port), HOST: '127.0.0.1' },
    encoding: 'utf8',
    timeout: 15_000,
  })
  t.equal(result.status, 1)
  t.match(result.stderr, /^tideflags: failed to start: .*EADDRINUSE/m)
  t.match(result.stdout, /a worker failed to start; stopping/)
})

t.test('with a single worker, a killed worker is still replaced', async (t) => {
  t.plan(2)
  const service = await startService({ REDIS_USERS_URL: '', REDIS_FEATURES_URL: '' }, 1)
  t.teardown(() => service.stop())
  const pid = service.logs.find((line) => line.msg === 'worker listening')?.pid as number
  process.kill(pid, 'SIGKILL')
  await service.waitForLog((line) => line.msg === 'worker listening', 2)
  t.equal((await httpGet(service.url + '/features')).status, 200)
  t.equal(await service.stop(), 0)
})
