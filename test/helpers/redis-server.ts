// Starts and stops real redis-server processes on free ports for tests and benchmarks.
// Never the machine's shared Redis on 6379.

import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { readFileSync } from 'node:fs'
import { Redis } from 'ioredis'
import { EXAMPLE_FEATURES_FILE } from '../../src/config/config.js'

/** Find a free TCP port on 127.0.0.1 by binding port 0. */
export async function freePort (): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

/** A redis-server child process; `restart()` brings it back on the same port, empty. */
export class RedisServer {
  port = 0
  process: ChildProcess | undefined
  readonly #extraArgs: string[]

  constructor (extraArgs: string[] = []) {
    this.#extraArgs = extraArgs
  }

  get url (): string {
    return `redis://127.0.0.1:${this.port}`
  }

  /** Start on a free port (or the port it had) and wait until it answers PING. */
  async start (): Promise<this> {
    if (this.port === 0) this.port = await freePort()
    const child = spawn('redis-server', [
      '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--protected-mode', 'no', ...this.#extraArgs,
    ], { stdio: 'ignore' })
    this.process = child
    await waitForPing(this.port, child)
    return this
  }

  /** Kill the process (SIGKILL: a crash, not a shutdown) and wait for it to exit. */
  async kill (): Promise<void> {
    const child = this.process
    this.process = undefined
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGKILL')
    await once(child, 'exit')
  }

  /** Freeze the server (SIGSTOP): connections stay open, replies stop. */
  pause (): void {
    this.process?.kill('SIGSTOP')
  }

  resume (): void {
    this.process?.kill('SIGCONT')
  }

  /** A fresh client for setting up data. Caller quits it. */
  client (): Redis {
    return new Redis(this.url, { lazyConnect: false, maxRetriesPerRequest: 1 })
  }

  async stop (): Promise<void> {
    this.resume()
    await this.kill()
  }
}

async function waitForPing (port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000
  let exited = false
  child.once('exit', () => { exited = true })
  while (Date.now() < deadline) {
    if (exited) throw new Error(`redis-server on port ${port} exited during startup`)
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 })
    client.on('error', () => {})
    try {
      await client.connect()
      await client.ping()
      client.disconnect()
      return
    } catch {
      client.disconnect()
      await sleep(20)
    }
  }
  throw new Error(`redis-server on port ${port} did not answer within 10 s`)
}

/**
 * Load the README example into Redis, from the shipped data file (src/store/embedded/
 * example-features.json): feature_1/2 global, token 1234 -> user 1, feature_3 active, feature_4 not.
 */
export async function loadExample (users: Redis, features: Redis): Promise<void> {
  const data = JSON.parse(readFileSync(EXAMPLE_FEATURES_FILE, 'utf8')) as {
    global_features: string[], active_features: string[], tokens: Record<string, string>, user_features: Record<string, string[]>
  }
  for (const [token, userId] of Object.entries(data.tokens)) await users.set(`token:${token}`, userId)
  await features.sadd('global_features', ...data.global_features)
  await features.sadd('active_features', ...data.active_features)
  for (const [userId, own] of Object.entries(data.user_features)) await features.sadd(`features:user:${userId}`, ...own)
}

/** Load the README example into a users and a features server through short-lived clients. */
export async function seedExample (users: RedisServer, features: RedisServer): Promise<void> {
  const u = users.client()
  const f = features.client()
  try {
    await loadExample(u, f)
  } finally {
    u.disconnect()
    f.disconnect()
  }
}

/**
 * Wait until Redis lists a connection with tracking on (flag t): a store enables its client-side cache
 * as soon as that reply arrives, so shortly after, answers are cached.
 */
export async function trackingOn (redis: RedisServer): Promise<void> {
  const admin = redis.client()
  try {
    const deadline = Date.now() + 5_000
    while (Date.now() < deadline) {
      const list = await admin.client('LIST') as string
      if (/ flags=\w*t\w* /.test(list)) break
      await sleep(10)
    }
  } finally {
    admin.disconnect()
  }
  await sleep(20)
}
