// Runs the real request handler in-process on port 0, against a real store, for integration tests.

import { once } from 'node:events'
import type { Server } from 'node:http'
import { pino } from 'pino'
import { loadConfig, type Config } from '../../src/config.js'
import { createServer } from '../../src/server.js'
import { createStore, type FeatureStore } from '../../src/store/index.js'

/** A listening in-process server. */
export interface App {
  readonly url: string
  readonly config: Config
  readonly store: FeatureStore
  readonly server: Server
  /** Log lines the service wrote, parsed. */
  readonly logs: Record<string, unknown>[]
  close (): Promise<void>
}

/** Build config from `env` exactly as the service does at boot, then listen on 127.0.0.1:0. */
export async function startApp (env: Record<string, string>): Promise<App> {
  const config = loadConfig(env)
  const logs: Record<string, unknown>[] = []
  const log = pino({ level: 'debug' }, { write: (line: string) => { logs.push(JSON.parse(line) as Record<string, unknown>) } })
  const store = createStore(config, log)
  const server = createServer(config, store, log)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}`,
    config,
    store,
    server,
    logs,
    async close () {
      server.closeAllConnections()
      server.close()
      await store.close()
    },
  }
}

/** Send one raw HTTP/1.1 request and return the raw response text (for what fetch refuses to send). */
export async function rawRequest (url: string, request: string): Promise<string> {
  const { connect } = await import('node:net')
  const { port, hostname } = new URL(url)
  const socket = connect(Number(port), hostname)
  socket.setEncoding('utf8')
  let text = ''
  socket.on('data', (chunk: string) => { text += chunk })
  socket.on('error', () => {})
  await once(socket, 'connect')
  socket.write(request)
  await once(socket, 'close')
  return text
}
