// A bug in evaluation (not a store error) still gets an OFREP-shaped 500, and its stack goes to the
// log only. The store here is a stand-in that throws, since no real store can be made to.

import { once } from 'node:events'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import t from 'tap'
import { loadConfig } from '../../../../src/config/config.js'
import { createServer } from '../../../../src/app.js'
import type { FeatureStore } from '../../../../src/store/index.js'

t.test('an unexpected error while evaluating is 500 GENERAL, with the detail in the log only (path, no query)', async (t) => {
  t.plan(5)
  const lines: Record<string, unknown>[] = []
  const sink = new Writable({
    write (chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>)
      done()
    },
  })
  const broken: FeatureStore = {
    kind: 'embedded',
    userIdForToken: async () => null,
    featuresFor: async () => [],
    flagsFor: async () => { throw new TypeError('secret internal detail') },
    reachable: async () => true,
    close: async () => {},
  }
  const server = createServer(loadConfig({}), broken, pino({ level: 'error' }, sink))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const { port } = server.address() as { port: number }
  const res = await fetch(`http://127.0.0.1:${port}/ofrep/v1/evaluate/flags/feature_1?token=hidden`, { method: 'POST', body: '{"context":{}}' })
  t.equal(res.status, 500)
  const text = await res.text()
  t.same(JSON.parse(text), { key: 'feature_1', errorCode: 'GENERAL', errorDetails: 'Internal server error' })
  t.notMatch(text, /secret/)
  t.equal(lines.length, 1)
  t.match(lines[0], { msg: 'unexpected error', url: '/ofrep/v1/evaluate/flags/feature_1', err: { message: 'secret internal detail' } })
})
