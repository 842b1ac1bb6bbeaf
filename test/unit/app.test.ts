// Node answers malformed requests through 'clientError'; the paths that need a socket in a given state
// are driven here by emitting the event with real sockets.

import { Socket } from 'node:net'
import { pino } from 'pino'
import t from 'tap'
import { loadConfig } from '../../src/config/config.js'
import { createServer } from '../../src/app.js'
import { EmbeddedStore } from '../../src/store/embedded/embedded-store.js'
import { EXAMPLE_FEATURES_FILE } from '../../src/config/config.js'

const log = pino({ level: 'silent' })

t.test('a client error on a socket that is already gone just destroys it', async (t) => {
  t.plan(2)
  const store = new EmbeddedStore(EXAMPLE_FEATURES_FILE, log)
  const server = createServer(loadConfig({}), store, log)
  t.teardown(() => store.close())
  const reset = new Socket()
  reset.destroy()
  server.emit('clientError', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), reset)
  t.ok(reset.destroyed)
  const ended = new Socket()
  ended.destroy()
  server.emit('clientError', Object.assign(new Error('parse'), { code: 'HPE_INVALID_METHOD' }), ended)
  t.ok(ended.destroyed, 'an unwritable socket gets no response')
})

t.test('the headers timeout never exceeds the request timeout, as node requires', async (t) => {
  t.plan(2)
  const store = new EmbeddedStore(EXAMPLE_FEATURES_FILE, log)
  t.teardown(() => store.close())
  const server = createServer(loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '50000', HTTP_REQUEST_TIMEOUT_MS: '20000' }), store, log)
  t.equal(server.headersTimeout, 20000)
  t.equal(server.requestTimeout, 20000)
})
