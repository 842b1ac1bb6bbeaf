// Runs the real request handler in-process on port 0, against a store built from `env` exactly as the
// service builds it at boot, and keeps the log lines for assertions.

import { once } from 'node:events'
import { pino } from 'pino'
import { loadConfig, type Config } from '../../src/config/config.js'
import { createStore, type FeatureStore } from '../../src/store/index.js'
import { serve } from './in-process.js'

/** A listening in-process server. */
export interface App {
  readonly url: string
  readonly config: Config
  readonly store: FeatureStore
  /** Log lines the service wrote, parsed. */
  readonly logs: Record<string, unknown>[]
  close (): Promise<void>
}

/** Build config and store from `env`, then listen on 127.0.0.1:0. */
export async function startApp (env: Record<string, string>): Promise<App> {
  const logs: Record<string, unknown>[] = []
  const log = pino({ level: 'debug' }, { write: (line: string) => { logs.push(JSON.parse(line) as Record<string, unknown>) } })
  const store = createStore(loadConfig(env), log)
  const served = await serve(store, env, log)
  return {
    url: served.url,
    config: served.config,
    store,
    logs,
    async close () {
      await served.close()
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
