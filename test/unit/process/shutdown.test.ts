// The drain rules of one worker, on a real node:http server in this process.

import { once } from 'node:events'
import { Agent, request, type IncomingHttpHeaders } from 'node:http'
import { pino } from 'pino'
import t from 'tap'
import { EXAMPLE_FEATURES_FILE, loadConfig } from '../../../src/config/config.js'
import { readinessProbe } from '../../../src/store/readiness.js'
import { Metrics } from '../../../src/observability/metrics.js'
import { createServer } from '../../../src/app.js'
import { Drain } from '../../../src/http/drain.js'
import { createShutdown, EXIT_DEADLINE, EXIT_OK, EXIT_SECOND_SIGNAL, HANDOFF_MS } from '../../../src/process/shutdown.js'
import { EmbeddedStore } from '../../../src/store/embedded/embedded-store.js'
import type { FeatureStore } from '../../../src/store/store.js'

const log = pino({ level: 'silent' })

// A store whose answers the test controls.
function fakeStore (featuresFor: () => Promise<string[]>, close: () => Promise<void> = async () => {}): FeatureStore {
  return { kind: 'embedded', userIdForToken: async () => null, featuresFor, reachable: async () => true, flagsFor: async () => new Map(), close }
}
const hangs = async (): Promise<string[]> => await new Promise<string[]>(() => {})
const config = loadConfig({ LOG_LEVEL: 'silent' })

async function start (store: FeatureStore, timeoutMs = 5_000): Promise<{ port: number, drain: Drain, shutdown: (reason: string, signal?: boolean) => void, exited: Promise<number>, exits: number[] }> {
  const drain = new Drain()
  const server = createServer(config, store, log, { drain, metrics: new Metrics({ defaultMetrics: false }), probe: readinessProbe(store), accessLog: undefined })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const exits: number[] = []
  let resolveExit: (code: number) => void = () => {}
  const exited = new Promise<number>((resolve) => { resolveExit = resolve })
  const shutdown = createShutdown({ server, store, drain, log, timeoutMs, exit: (code) => { exits.push(code); resolveExit(code) } })
  t.teardown(() => { server.closeAllConnections(); server.close() })
  return { port: (server.address() as { port: number }).port, drain, shutdown, exited, exits }
}

async function get (port: number, path: string, agent: Agent | false = false): Promise<{ status: number, headers: IncomingHttpHeaders, body: string }> {
  return await new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { body += c })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    }).on('error', reject).end()
  })
}

t.test('a request on an open keep-alive connection during the handoff is answered, with Connection: close', async (t) => {
  const { port, shutdown, exited } = await start(new EmbeddedStore(EXAMPLE_FEATURES_FILE, log))
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const probeAgent = new Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => { agent.destroy(); probeAgent.destroy() })
  const first = await get(port, '/features', agent)
  t.equal(first.headers.connection, 'keep-alive', 'the connection is kept alive while serving')
  t.equal((await get(port, '/readyz', probeAgent)).status, 200, 'ready while serving')
  shutdown('test')
  t.equal((await get(port, '/readyz', probeAgent)).status, 503, '/readyz says not ready while draining')
  const during = await get(port, '/features', agent)
  t.equal(during.status, 200, 'answered, not failed')
  t.equal(during.headers.connection, 'close', 'and told to reconnect elsewhere')
  t.equal(await exited, EXIT_OK, 'exits 0 once the connections are gone')
})

t.test('after the handoff a request on an open connection gets a fast 503 with Connection: close', async (t) => {
  const { port, drain } = await start(new EmbeddedStore(EXAMPLE_FEATURES_FILE, log))
  drain.phase = 'closing'
  const answer = await get(port, '/features')
  t.equal(answer.status, 503)
  t.equal(answer.headers.connection, 'close')
  t.same(JSON.parse(answer.body), { key: 'service_unavailable', message: 'This server is shutting down, retry' })
})

t.test('an idle keep-alive connection is closed after the handoff, so shutdown does not wait for the keep-alive timeout', async (t) => {
  const { port, shutdown, exited } = await start(new EmbeddedStore(EXAMPLE_FEATURES_FILE, log))
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => agent.destroy())
  await get(port, '/healthz', agent)
  const t0 = Date.now()
  shutdown('test')
  t.equal(await exited, EXIT_OK)
  const elapsed = Date.now() - t0
  t.ok(elapsed >= HANDOFF_MS - 50 && elapsed < HANDOFF_MS + 1_000, `exited after ${elapsed} ms, at the end of the handoff`)
})

t.test('shutdown runs once; a repeated call is ignored and a second signal exits at once with 130', async (t) => {
  const { port, shutdown, exits } = await start(fakeStore(hangs))
  const hanging = get(port, '/features').catch(() => undefined)
  await new Promise((resolve) => setTimeout(resolve, 50))
  shutdown('first', true)
  shutdown('primary message')
  t.same(exits, [], 'the message after the signal changes nothing')
  shutdown('second', true)
  t.same(exits, [EXIT_SECOND_SIGNAL], 'the second signal exits at once')
  void hanging
})

t.test('Ctrl-C: a signal arriving after the primary\'s message is the first signal, not a second', async (t) => {
  const { port, shutdown, exits } = await start(fakeStore(hangs))
  const hanging = get(port, '/features').catch(() => undefined)
  await new Promise((resolve) => setTimeout(resolve, 50))
  shutdown('primary message')
  shutdown('SIGINT', true)
  t.same(exits, [], 'the worker keeps draining')
  shutdown('SIGINT', true)
  t.same(exits, [EXIT_SECOND_SIGNAL], 'a real second signal still exits at once')
  void hanging
})

t.test('a request that never finishes makes the deadline exit with 1', async (t) => {
  const { port, shutdown, exited } = await start(fakeStore(hangs), 300)
  void get(port, '/features').catch(() => undefined)
  await new Promise((resolve) => setTimeout(resolve, 50))
  const t0 = Date.now()
  shutdown('test', true)
  t.equal(await exited, EXIT_DEADLINE)
  t.ok(Date.now() - t0 < 600, 'at the deadline')
})

t.test('a store that fails to close still lets the worker exit 0', async (t) => {
  const { shutdown, exited } = await start(fakeStore(async () => [], async () => { throw new Error('boom') }))
  shutdown('test')
  t.equal(await exited, EXIT_OK)
})
