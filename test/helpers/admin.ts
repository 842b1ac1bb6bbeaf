// The admin listener in-process (createAdminServer) over a real store, and a small client for it.

import { once } from 'node:events'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { pino, type Logger } from 'pino'
import { createAdminServer } from '../../src/admin/admin-server.js'
import { tokenLine } from '../../src/config/admin-tokens.js'
import { loadConfig } from '../../src/config/config.js'
import { Drain } from '../../src/http/drain.js'
import { Metrics } from '../../src/observability/metrics.js'
import { createAdminStore, type AdminStore } from '../../src/store/admin/index.js'
import { quiet } from './in-process.js'

/** Tokens of the file {@link tokensFile} writes. */
export const WRITE_TOKEN = 'test-admin-write-token'
export const READ_TOKEN = 'test-admin-read-token'

/** A tokens file with alice (write) and bob (read); returns its path. */
export function tokensFile (): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tideflags-admin-')), 'tokens')
  writeFileSync(file, `${tokenLine('alice', 'write', WRITE_TOKEN)}\n${tokenLine('bob', 'read', READ_TOKEN)}\n`)
  return file
}

/** A listening in-process admin listener. */
export interface AdminApp {
  readonly url: string
  readonly store: AdminStore
  readonly metrics: Metrics
  /** Access log lines, parsed. */
  readonly accessLines: Record<string, unknown>[]
  close (): Promise<void>
}

/**
 * Listen on 127.0.0.1:0 with a store built from `env` as a worker builds it.
 * @param options.now the failure limit's clock
 */
export async function startAdmin (env: Record<string, string>, options: { now?: () => number, log?: Logger } = {}): Promise<AdminApp> {
  const config = loadConfig({ LOG_LEVEL: 'silent', ADMIN_PORT: '0', ADMIN_TOKENS_FILE: tokensFile(), ...env })
  const log = options.log ?? quiet
  const store = createAdminStore(config, log)
  const metrics = new Metrics({ defaultMetrics: false })
  const accessLines: Record<string, unknown>[] = []
  const accessLog = pino({}, { write: (line: string) => { accessLines.push(JSON.parse(line) as Record<string, unknown>) } })
  const server = createAdminServer({ ...config, admin: config.admin as NonNullable<typeof config.admin> }, store, log, { drain: new Drain(), metrics, accessLog, now: options.now })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  // The store connects in the background and fails fast until it has (no offline queue): a test that
  // writes at once could see a 503 on a loaded machine (seen once in CI). Wait until it answers.
  const deadline = Date.now() + 10_000
  for (;;) {
    try {
      await store.snapshot()
      break
    } catch (err) {
      // Runs only when the connection is slower than the first read: timing, not a path to cover.
      /* c8 ignore next 2 */
      if (Date.now() > deadline) throw err
      await sleep(20)
    }
  }
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    metrics,
    accessLines,
    async close () {
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
      await store.close()
    },
  }
}

/** An answer of the admin API. */
export interface Answer {
  readonly status: number
  readonly headers: Headers
  // Tests read answers by path; the JSON's shape is what they assert.
  readonly json: any
}

/**
 * One request. `token` signs in as Bearer (undefined: no Authorization); `body` is sent as JSON unless
 * it is a string (sent as it is).
 */
export async function request (url: string, method: string, path: string, options: { token?: string, body?: unknown, headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
  const res = await fetch(url + path, { method, headers, body })
  const text = await res.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = text
  }
  return { status: res.status, headers: res.headers, json }
}
