// Schedules over real HTTP against real Redis, decided on the Redis clock (TIME, read in the same
// script call as the data): the boundaries of start/end, a weekly window in a zone with daylight
// saving, a window that crosses midnight, every malformed field, and what a closing window does to
// ETags and to the client-side cache. The built service runs where logs and metrics are asserted.

import t from 'tap'
import type { Redis } from 'ioredis'
import { setTimeout as sleep } from 'node:timers/promises'
import { startApp, type App } from '../../helpers/app.js'
import { untilReachable } from '../../helpers/in-process.js'
import { RedisServer, trackingOn } from '../../helpers/redis-server.js'
import { startService, type Service } from '../../helpers/service.js'

const users = new RedisServer()
const features = new RedisServer()
let f: Redis
let app: App

t.before(async () => {
  await Promise.all([users.start(), features.start()])
  const u = users.client()
  await u.set('token:1234', '1')
  u.disconnect()
  f = features.client()
  app = await startApp({ REDIS_USERS_URL: users.url, REDIS_FEATURES_URL: features.url })
  await untilReachable(app.store)
})
t.teardown(async () => {
  f.disconnect()
  await app.close()
  await Promise.all([users.stop(), features.stop()])
})

/** Redis's clock, epoch ms: what the service decides schedules at. */
async function redisNow (): Promise<number> {
  const [seconds, micros] = await f.time()
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)
}

/** Replace the whole data set: `global` features, `active` ones, and schedules by feature. */
async function data (global: string[], active: string[], schedules: Record<string, Record<string, string>>): Promise<void> {
  await f.flushall()
  if (global.length > 0) await f.sadd('global_features', ...global)
  if (active.length > 0) await f.sadd('active_features', ...active)
  await f.sadd('features:user:1', ...active, 'never_active')
  for (const [feature, fields] of Object.entries(schedules)) await f.hset(`schedule:${feature}`, fields)
}

async function features_ (url: string, token?: string): Promise<{ status: number, body: unknown, etag: string | null }> {
  const res = await fetch(`${url}/features`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })
  return { status: res.status, body: await res.json(), etag: res.headers.get('etag') }
}

t.test('start is inclusive and end exclusive, on the Redis clock, in both instant forms', async (t) => {
  const t0 = await redisNow()
  const iso = (ms: number): string => new Date(ms).toISOString()
  await data(['from_t0', 'from_t0_iso', 'until_t0', 'until_t0_iso', 'later', 'now_open'], [], {
    from_t0: { start: String(t0) },
    from_t0_iso: { start: iso(t0) },
    until_t0: { end: String(t0) },
    until_t0_iso: { end: iso(t0) },
    later: { start: String(t0 + 3_600_000) },
    now_open: { start: String(t0 - 1), end: String(t0 + 3_600_000) },
  })
  const answer = await features_(app.url)
  t.equal(answer.status, 200)
  t.same(answer.body, { active_features: ['from_t0', 'from_t0_iso', 'now_open'] },
    'open from its start (Redis time is now at or past t0), closed from its end, not yet open before its start')
})

t.test('a weekly window in a zone with daylight saving follows the zone\'s offset on the Redis clock', async (t) => {
  const now = await redisNow()
  // The local wall-clock minute in New York now, by the platform's time zone data.
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', hourCycle: 'h23', hour: '2-digit', minute: '2-digit' }).formatToParts(now)
  const minute = Number(parts.find((p) => p.type === 'hour')?.value) * 60 + Number(parts.find((p) => p.type === 'minute')?.value)
  const hhmm = (m: number): string => {
    const wrapped = ((m % 1440) + 1440) % 1440
    return `${String(Math.floor(wrapped / 60)).padStart(2, '0')}:${String(wrapped % 60).padStart(2, '0')}`
  }
  // An hour either side is what a wrong offset (standard time in summer, or the reverse) would give.
  const window = (from: number, to: number): Record<string, string> => ({ from: hhmm(from), to: hhmm(to), tz: 'America/New_York' })
  await data(['here', 'hour_later', 'hour_earlier'], [], {
    here: window(minute - 5, minute + 10),
    hour_later: window(minute + 55, minute + 70),
    hour_earlier: window(minute - 65, minute - 50),
  })
  t.same((await features_(app.url)).body, { active_features: ['here'] })
})

t.test('a window that crosses midnight is open after midnight, and belongs to the day it starts', async (t) => {
  const now = await redisNow()
  // A fixed-offset IANA zone (Etc/GMT-N is UTC+N) where the local hour is 23 or 0 now, so that a
  // 22:00-02:00 window is open with an hour to spare either side.
  const utcHour = new Date(now).getUTCHours()
  const offset = [23 - utcHour, -1 - utcHour, 24 - utcHour, -utcHour].find((h) => h >= -12 && h <= 14) as number
  const zone = offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`
  const local = new Date(now + offset * 3_600_000)
  const localHour = local.getUTCHours()
  t.ok(localHour === 23 || localHour === 0, `local hour in ${zone} is ${localHour}`)
  const names = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']
  // The day the window opened: today before midnight, yesterday after it.
  const opened = (local.getUTCDay() + (localHour === 0 ? 6 : 0)) % 7
  await data(['started_today', 'starts_next_day', 'started_day_before'], [], {
    started_today: { days: names[opened] as string, from: '22:00', to: '02:00', tz: zone },
    starts_next_day: { days: names[(opened + 1) % 7] as string, from: '22:00', to: '02:00', tz: zone },
    started_day_before: { days: names[(opened + 6) % 7] as string, from: '22:00', to: '02:00', tz: zone },
  })
  t.same((await features_(app.url)).body, { active_features: ['started_today'] },
    `open ${names[opened] as string} 22:00 to 02:00 the next morning, local hour now ${localHour}`)
})

t.test('a schedule closes a feature whatever put it there: global, the user\'s, and OFREP says DISABLED', async (t) => {
  const t0 = await redisNow()
  await data(['g_closed', 'g_open'], ['mine_closed', 'mine_open'], {
    g_closed: { end: String(t0 - 1000) },
    g_open: { end: String(t0 + 3_600_000) },
    mine_closed: { start: String(t0 + 3_600_000) },
    mine_open: { start: String(t0 - 3_600_000) },
  })
  t.same((await features_(app.url)).body, { active_features: ['g_open'] })
  t.same((await features_(app.url, '1234')).body, { active_features: ['g_open', 'mine_open'] })
  const res = await fetch(`${app.url}/ofrep/v1/evaluate/flags`, {
    method: 'POST', headers: { authorization: 'Bearer 1234', 'content-type': 'application/json' }, body: '{"context":{}}',
  })
  const { flags } = await res.json() as { flags: Array<{ key: string, value: boolean, reason: string }> }
  t.same(flags.map((flag) => [flag.key, flag.value, flag.reason]), [
    ['g_closed', false, 'DISABLED'], ['g_open', true, 'STATIC'], ['mine_closed', false, 'DISABLED'], ['mine_open', true, 'TARGETING_MATCH'],
  ])
})

// One worker, so that "once per value" and the metric are that worker's own.
t.test('every malformed field turns its feature off with a 200, is logged once per value and counted', async (t) => {
  const malformed: Record<string, Record<string, string>> = {
    bad_start: { start: 'tomorrow' },
    bad_end: { end: '2026-13-01T00:00Z' },
    no_offset: { start: '2026-01-01T00:00:00' },
    end_before_start: { start: '2026-01-02T00:00Z', end: '2026-01-01T00:00Z' },
    bad_days: { days: 'mon,funday' },
    bad_from: { from: '25:00', to: '10:00' },
    bad_to: { from: '10:00', to: '10:60' },
    from_alone: { from: '10:00' },
    from_equals_to: { from: '10:00', to: '10:00' },
    bad_tz: { days: 'mon', tz: 'Mars/Olympus_Mons' },
    tz_alone: { tz: 'Europe/Madrid' },
    typo: { strat: '0' },
  }
  const names = Object.keys(malformed)
  await data([...names, 'wrong_type', 'fine'], [], malformed)
  await f.set('schedule:wrong_type', 'a string, not a hash')
  const service: Service = await startService({ REDIS_USERS_URL: users.url, REDIS_FEATURES_URL: features.url }, 1)
  t.teardown(() => service.stop())
  for (let i = 0; i < 3; i++) {
    const answer = await features_(service.url)
    t.equal(answer.status, 200, `request ${i + 1}: never a 500`)
    t.same(answer.body, { active_features: ['fine'] }, 'every malformed schedule is closed')
  }
  const warned = service.logs.filter((line) => line.msg !== undefined && String(line.msg).startsWith('malformed schedule'))
  t.same(warned.map((line) => line.feature).sort(), [...names, 'wrong_type'].sort(), 'one line per malformed value, three requests later')
  t.match(warned.find((line) => line.feature === 'bad_tz'), { key: 'schedule:bad_tz', errors: { tz: /zone/ } }, 'the line names the key and the field')
  t.match(warned.find((line) => line.feature === 'wrong_type'), { errors: { 'not a hash': String } }, 'a key of the wrong type is malformed too')
  const metrics = await (await fetch(`${service.url}/metrics`)).text()
  t.match(metrics, new RegExp(`^tideflags_schedule_invalid_total ${names.length + 1}$`, 'm'), 'counted once per distinct value')

  // Fixing one is picked up at once: a new content, parsed anew.
  await f.del('schedule:typo')
  t.same((await features_(service.url)).body, { active_features: ['fine', 'typo'] })
})

t.test('when a window closes, the next request gets the new body and a new ETag, with the client-side cache on', async (t) => {
  await trackingOn(features)
  const service = await startService({ REDIS_USERS_URL: users.url, REDIS_FEATURES_URL: features.url, REDIS_CLIENT_CACHE_ENTRIES: '1000' }, 1)
  t.teardown(() => service.stop())
  const t0 = await redisNow()
  await data(['g1'], ['brief'], { brief: { end: String(t0 + 1_500) } })
  const open = await features_(service.url, '1234')
  t.same(open.body, { active_features: ['brief', 'g1'] })
  t.same((await features_(service.url, '1234')).body, open.body, 'still open just after')
  while (await redisNow() < t0 + 1_500) await sleep(50)
  const closed = await features_(service.url, '1234')
  t.same(closed.body, { active_features: ['g1'] }, 'no cached copy outlives the window')
  t.not(closed.etag, open.etag, 'a new ETag')
  const revalidated = await fetch(`${service.url}/features`, { headers: { authorization: 'Bearer 1234', 'if-none-match': open.etag as string } })
  t.equal(revalidated.status, 200, 'the old ETag no longer matches')
  await revalidated.body?.cancel()
})

t.test('a schedule written after an answer was cached applies to the next request', async (t) => {
  await trackingOn(features)
  const service = await startService({ REDIS_USERS_URL: users.url, REDIS_FEATURES_URL: features.url, REDIS_CLIENT_CACHE_ENTRIES: '1000' }, 1)
  t.teardown(() => service.stop())
  await data(['g1'], ['a1'], {})
  for (let i = 0; i < 3; i++) t.same((await features_(service.url, '1234')).body, { active_features: ['a1', 'g1'] }, 'cached')
  await f.hset('schedule:a1', 'end', '0')
  // The invalidation travels on another connection: it lands within milliseconds, never later than this.
  const deadline = Date.now() + 2_000
  let body: unknown
  do body = (await features_(service.url, '1234')).body
  while (JSON.stringify(body) !== '{"active_features":["g1"]}' && Date.now() < deadline && await sleep(20) === undefined)
  t.same(body, { active_features: ['g1'] }, 'the new schedule closed a1')
})
