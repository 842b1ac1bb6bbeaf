// Whose clock decides a schedule, proven by running the built service with its clock moved
// (libfaketime, LD_PRELOAD: the process and its forked workers see the shifted time, Redis does not):
// - with Redis, the service decides on Redis's TIME, so a worker whose clock is days off still agrees
//   with every other worker and server;
// - the embedded store decides on the local clock: started just before a daylight-saving transition,
//   a weekly window in Europe/Madrid is judged on both sides of it by the zone's rules.

import { existsSync, mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { writeDataFile } from '../../helpers/in-process.js'
import { RedisServer } from '../../helpers/redis-server.js'
import { startService, type Service } from '../../helpers/service.js'

/** libfaketime's library (Debian package `faketime`, which .ci/run installs). */
function libfaketime (): string {
  for (const dir of readdirSync('/usr/lib', { withFileTypes: true })) {
    const candidate = join('/usr/lib', dir.name, 'faketime', 'libfaketime.so.1')
    if (dir.isDirectory() && existsSync(candidate)) return candidate
  }
  throw new Error('libfaketime not found: install the faketime package (apt-get install faketime)')
}

/** Environment that runs a process with its clock moved by `offsetMs` (whole seconds; it keeps ticking). */
function shifted (offsetMs: number): Record<string, string> {
  const seconds = Math.round(offsetMs / 1000)
  return { LD_PRELOAD: libfaketime(), FAKETIME: `${seconds >= 0 ? '+' : ''}${seconds}s` }
}

async function answer (service: Service): Promise<unknown> {
  const res = await fetch(`${service.url}/features`)
  t.equal(res.status, 200)
  return res.json()
}

t.test('with Redis, schedules follow Redis TIME, not the worker\'s clock', async (t) => {
  const users = await new RedisServer().start()
  const features = await new RedisServer().start()
  const f = features.client()
  t.teardown(async () => {
    f.disconnect()
    await Promise.all([users.stop(), features.stop()])
  })
  const [seconds] = await f.time()
  const redisNow = Number(seconds) * 1000
  const skew = -3 * 86_400_000 // the workers live three days in the past
  await f.sadd('global_features', 'open_by_redis', 'open_by_worker')
  await f.hset('schedule:open_by_redis', { start: String(redisNow - 600_000), end: String(redisNow + 600_000) })
  await f.hset('schedule:open_by_worker', { start: String(redisNow + skew - 600_000), end: String(redisNow + skew + 600_000) })

  const service = await startService({ REDIS_USERS_URL: users.url, REDIS_FEATURES_URL: features.url, ...shifted(skew) })
  t.teardown(() => service.stop())
  const loggedAt = Number(service.logs.find((line) => line.msg === 'worker listening')?.time)
  t.ok(loggedAt < redisNow - 2 * 86_400_000, `the worker's clock is really days behind (${new Date(loggedAt).toISOString()})`)
  for (let i = 0; i < 4; i++) t.same(await answer(service), { active_features: ['open_by_redis'] }, 'both workers decide on Redis TIME')
})

// Europe/Madrid: CET (+01:00) to CEST (+02:00) at 2026-03-29T01:00:00Z, local 02:00 -> 03:00;
// back at 2026-10-25T01:00:00Z, local 03:00 -> 02:00.
const MADRID = {
  // open just before the spring transition (01:59 CET)
  one_to_two: { from: '01:00', to: '02:00', tz: 'Europe/Madrid' },
  // the skipped spring hour: a fixed +01:00 offset would open it after that transition; in autumn it
  // is open before the transition (02:59 CEST) and again after it (02:00 CET)
  two_to_three: { from: '02:00', to: '03:00', tz: 'Europe/Madrid' },
  // open from the first minute after the spring gap; a fixed +01:00 offset would say 02:00, closed
  three_to_four: { from: '03:00', to: '04:00', tz: 'Europe/Madrid' },
  // the repeated autumn hour's first half: open both times it happens
  repeated: { from: '02:00', to: '02:30', tz: 'Europe/Madrid' },
}
const dir = mkdtempSync(join(tmpdir(), 'tideflags-clock-'))

/** Run the embedded store's service with its clock at `start` (ISO, UTC) when it spawns. */
async function serviceAt (start: string): Promise<{ service: Service, clock: () => number }> {
  const offset = Date.parse(start) - Date.now()
  const file = writeDataFile(dir, { global_features: Object.keys(MADRID), schedules: MADRID }, `${start}.json`)
  const service = await startService({ FEATURES_FILE: file, ...shifted(offset) }, 1)
  const rounded = Math.round(offset / 1000) * 1000
  return { service, clock: () => Date.now() + rounded }
}

async function untilClock (clock: () => number, instant: string): Promise<void> {
  const wait = Date.parse(instant) - clock()
  if (wait > 0) await sleep(wait)
}

t.test('the embedded store judges a weekly window by the zone\'s rules on both sides of a daylight-saving transition', async (t) => {
  // Both services at once: each starts 12 s before its transition, and the two waits overlap.
  const [spring, autumn] = await Promise.all([serviceAt('2026-03-29T00:59:48Z'), serviceAt('2026-10-25T00:59:48Z')])
  t.teardown(async () => {
    await Promise.all([spring.service.stop(), autumn.service.stop()])
  })
  const beforeSpring = await answer(spring.service)
  const beforeAutumn = await answer(autumn.service)
  t.ok(spring.clock() < Date.parse('2026-03-29T00:59:59.5Z') && autumn.clock() < Date.parse('2026-10-25T00:59:59.5Z'),
    'both were asked before their transition (the services started in time)')
  t.same(beforeSpring, { active_features: ['one_to_two'] }, 'spring, 00:59 UTC = 01:59 CET')
  t.same(beforeAutumn, { active_features: ['two_to_three'] }, 'autumn, 00:59 UTC = 02:59 CEST')

  await untilClock(spring.clock, '2026-03-29T01:00:01Z')
  t.same(await answer(spring.service), { active_features: ['three_to_four'] }, 'spring, 01:00 UTC = 03:00 CEST: the hour 02:00-03:00 never happened')
  await untilClock(autumn.clock, '2026-10-25T01:00:01Z')
  t.same(await answer(autumn.service), { active_features: ['repeated', 'two_to_three'] },
    'autumn, 01:00 UTC = 02:00 CET: the repeated hour is open again, its first half too')
})
