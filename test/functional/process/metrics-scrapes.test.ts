// A crowd of /metrics scrapers against the built cluster (node dist/main.js): they share gatherings.

import { request } from 'node:http'
import t from 'tap'
import { startService } from '../../helpers/service.js'

async function get (url: string): Promise<{ status: number, body: string }> {
  return await new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { body += c })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    }).on('error', reject)
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer within 30 s from ${url}`)))
    req.end()
  })
}

const gathers = (body: string): number => Number(/^tideflags_metrics_gathers_total (\d+)$/m.exec(body)?.[1])

t.test('200 concurrent scrapes are all answered from a few cluster-wide gatherings, not one each', async (t) => {
  t.plan(4)
  const service = await startService({}, 2)
  t.teardown(async () => { await service.stop() })
  const answers = await Promise.all(Array.from({ length: 200 }, async () => await get(`${service.url}/metrics`)))
  t.same(new Set(answers.map((a) => a.status)), new Set([200]), 'every scrape got 200')
  t.ok(answers.every((a) => a.body.includes('process_resident_memory_bytes')), 'each with the cluster\'s numbers')
  const most = Math.max(...answers.map((a) => gathers(a.body)))
  // One gathering per max age (1 s) at most: 200 scrapes that took even 10 s would need 11, not 200.
  t.ok(most >= 1 && most <= 20, `the primary gathered ${most} times for 200 scrapes`)
  // A scrape after the max age sees a fresh gathering, counted.
  await new Promise((resolve) => setTimeout(resolve, 1_100))
  t.equal(gathers((await get(`${service.url}/metrics`)).body), most + 1, 'a later scrape gathers once more')
})
