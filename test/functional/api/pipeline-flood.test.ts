// Clients that pipeline requests and never read the answers, against the real built service: the
// worker holds bounded work and memory for them and keeps serving everyone else (src/http/pipeline.ts).

import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { RedisServer, seedExample } from '../../helpers/redis-server.js'
import { startService } from '../../helpers/service.js'

const FEATURES = 'GET /features HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer 1234\r\n\r\n'

/** The value of one Prometheus series in `text`, summed over the lines that match `pattern`. */
function sum (text: string, pattern: RegExp): number {
  let total = 0
  for (const line of text.split('\n')) {
    if (pattern.test(line)) total += Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return total
}

/** A fetch that gives up after 5 s: "does not hang", not a speed check. */
async function get (url: string, headers: Record<string, string> = {}): Promise<{ status: number, body: string }> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(5_000) })
  return { status: res.status, body: await res.text() }
}

t.test('clients that pipeline requests and never read the answers hold bounded work and memory, and others are served', async (t) => {
  const users = await new RedisServer().start()
  const features = await new RedisServer().start()
  t.teardown(async () => { await Promise.all([users.stop(), features.stop()]) })
  await seedExample(users, features)
  // A Redis command timeout far above the default 250 ms: on a loaded test machine the attack's own
  // (bounded) work can delay Redis replies, and a 503 for that is not what this test is about.
  const service = await startService({ REDIS_USERS_URL: users.url, REDIS_FEATURES_URL: features.url, REDIS_COMMAND_TIMEOUT_MS: '2000' }, 1)
  t.teardown(async () => { await service.stop() })
  const scrape = async (): Promise<string> => (await get(`${service.url}/metrics`)).body
  const rss = /^process_resident_memory_bytes /
  const before = sum(await scrape(), rss)

  const ATTACKERS = 20
  const burst = Buffer.from(FEATURES.repeat(200))
  const sockets: Socket[] = []
  t.teardown(() => { for (const s of sockets) s.destroy() })
  for (let i = 0; i < ATTACKERS; i++) {
    const s = connect(service.port, '127.0.0.1')
    s.pause() // never read an answer
    s.on('error', () => {})
    let writes = 0 // bounded: at most 2000 bursts (400k requests) per connection
    const pump = (): void => { while (writes++ < 2_000 && s.write(burst)); }
    s.on('connect', pump)
    s.on('drain', pump)
    sockets.push(s)
  }
  await sleep(3_000)

  const fresh = await get(`${service.url}/features`, { authorization: 'Bearer 1234' })
  t.equal(fresh.status, 200, `a fresh client gets its features: ${fresh.body}`)
  t.equal((await get(`${service.url}/healthz`)).status, 200, '/healthz answers')
  const during = await scrape()
  // src/http/pipeline.ts: at most 16 requests in progress and 256 waiting per connection; this scrape is one more.
  const held = sum(during, /^tideflags_http_requests_in_flight /)
  t.ok(held <= ATTACKERS * (16 + 256) + 1, `requests held for the attackers: ${held}`)
  const grown = (sum(during, rss) - before) / 1e6
  t.ok(grown < 150, `worker RSS grew by ${grown.toFixed(0)} MB`)
})
