// An outage of the features Redis under a burst of concurrent requests, with the service's real
// logger: the log gets a handful of lines (the transition, then one count per interval), never one
// line per failed request, and the counts add up to the failed requests.

import { request } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { DEFAULTS } from '../../../src/config/config.js'
import { startLoggedApp } from '../../helpers/logged-app.js'
import { RedisServer, seedExample } from '../../helpers/redis-server.js'

const BURST = 300 // concurrent requests, each on its own connection

function get (url: string): Promise<number> {
  const { port } = new URL(url)
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/features', headers: { authorization: 'Bearer 1234' }, agent: false }, (res) => {
      res.resume()
      res.on('end', () => { resolve(res.statusCode ?? 0) })
    }).on('error', reject).end()
  })
}

t.test('an outage under a burst of requests logs a handful of lines whose counts add up to the failures', async (t) => {
  t.plan(6)
  const users = await new RedisServer().start()
  const features = await new RedisServer().start()
  t.teardown(async () => { await Promise.all([users.stop(), features.stop()]) })
  await seedExample(users, features)
  const app = await startLoggedApp(users, features)
  t.teardown(async () => { await app.close() })
  t.equal(await get(app.url), 200, 'served before the outage')

  await features.kill()
  const statuses = await Promise.all(Array.from({ length: BURST }, async () => await get(app.url)))
  const failed = statuses.filter((status) => status === 503).length
  t.equal(failed, BURST, 'every request of the burst failed with 503')

  const failureLines = (): Array<Record<string, unknown>> => app.lines().filter((line) => line.code === 'TF_ERR_SERVICE_UNAVAILABLE')
  const counted = (): number => failureLines().reduce((sum, line) => sum + (typeof line.count === 'number' ? line.count : 1), 0)
  // The last summary comes at the end of its interval: wait for it (bounded), rather than guess.
  for (let i = 0; i < 200 && counted() < failed; i++) await sleep(50)

  const full = failureLines().filter((line) => line.count === undefined)
  const summaries = failureLines().filter((line) => line.count !== undefined)
  t.match(full, Array.from({ length: DEFAULTS.failureLogBurst }, () => ({ msg: 'request failed', level: 40, err: { message: /./ }, url: '/features' })),
    'the first few failures are logged in full')
  t.ok(full.length === DEFAULTS.failureLogBurst && summaries.length >= 1 &&
    summaries.every((line) => typeof line.count === 'number' && /requests failed with TF_ERR_SERVICE_UNAVAILABLE/.test(line.msg as string)),
  'only those; the rest are summed up in summary lines')
  t.equal(counted(), failed, 'the full line and the summaries account for every failed request')
  // The transition ("redis connection lost"), the first failures, a summary per interval of the burst.
  t.ok(app.lines().length <= 12, `a handful of lines, not one per request; got ${app.lines().length}:\n${app.output()}`)
})
