// Soak: minutes of mixed good and bad requests; worker memory must stay flat.
// SOAK_SECONDS sets the length (default 150 s). Part of `npm run test:faults`.

import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import type autocannon from 'autocannon'
import t from 'tap'
import { loadExample, RedisServer } from '../helpers/redis-server.js'
import { startService } from '../helpers/service.js'
import { load, summary } from './load.js'

// Read here, not in src/: this is test tooling, not service configuration.
const SOAK_SECONDS = Number(process.env.SOAK_SECONDS ?? '150')

function rssMiB (pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 'NaN')
  return Math.round(kb / 102.4) / 10
}

const basic = (user: string, token: string): string => 'Basic ' + Buffer.from(`${user}:${token}`).toString('base64')

t.test('minutes of mixed good and bad requests leave worker memory flat', async (t) => {
  const users = await new RedisServer().start()
  const features = await new RedisServer().start()
  t.teardown(async () => { await users.stop(); await features.stop() })
  const u = users.client()
  const f = features.client()
  await loadExample(u, f)
  await f.set('features:user:wrongtype', 'x') // a wrong-type key on the Lua path -> 500
  await u.set('token:wrongtype', 'wrongtype')
  u.disconnect()
  f.disconnect()
  const service = await startService({ REDIS_USERS_URL: users.url, REDIS_FEATURES_URL: features.url }, 2)
  t.teardown(async () => { await service.stop() })
  const pids = service.logs.filter((l) => l.msg === 'worker listening').map((l) => l.pid as number)

  const requests: autocannon.Request[] = [
    { method: 'GET', path: '/features' },
    { method: 'GET', path: '/features', headers: { authorization: 'Bearer 1234' } },
    { method: 'GET', path: '/features', headers: { authorization: basic('app', '1234') } },
    { method: 'GET', path: '/features', headers: { authorization: 'Bearer nobody' } }, // 401
    { method: 'GET', path: '/features', headers: { authorization: 'Digest abc' } }, // 400
    { method: 'GET', path: '/features', headers: { authorization: 'Basic %%%' } }, // 400
    { method: 'GET', path: '/features', headers: { authorization: 'Bearer ' + 'x'.repeat(2000) } }, // 400
    { method: 'GET', path: '/features', headers: { authorization: 'Bearer wrongtype' } }, // 500
    { method: 'GET', path: '/nope?x=' + 'y'.repeat(100) }, // 404
    { method: 'POST', path: '/features', body: 'ignored' }, // 405
    { method: 'GET', path: '/features', body: 'a body on GET is read and ignored' },
    { method: 'GET', path: '/features', headers: { 'if-none-match': '"stale"' } },
    { method: 'GET', path: '/healthz' },
    { method: 'GET', path: '/readyz' },
  ]
  // Warm up (JIT, pools), then measure.
  await load({ url: service.url, seconds: 10, connections: 16, requests })
  await sleep(500)
  const before = pids.map(rssMiB)
  const r = await load({ url: service.url, seconds: SOAK_SECONDS, connections: 16, requests })
  await sleep(500)
  const after = pids.map(rssMiB)
  const statuses: Record<number, number> = {}
  for (const s of r.samples) statuses[s.status] = (statuses[s.status] ?? 0) + 1
  t.comment('FIGURES ' + summary(`soak ${SOAK_SECONDS}s`, r, {
    rssBeforeMiB: JSON.stringify(before), rssAfterMiB: JSON.stringify(after), statuses: JSON.stringify(statuses),
  }))
  t.equal(r.errors, 0, 'no socket errors')
  t.notOk(service.logs.some((l) => l.msg === 'worker died unexpectedly; replacing it'), 'no worker died')
  for (const [i, pid] of pids.entries()) {
    const b = before[i] as number
    const a = after[i] as number
    // Flat: within 25% or 20 MiB of the warmed-up size, whichever is larger (GC timing alone moves RSS).
    t.ok(a <= Math.max(b * 1.25, b + 20), `worker ${pid} RSS ${b} -> ${a} MiB stays flat`)
  }
})
