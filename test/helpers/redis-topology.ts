// Shared by the Sentinel and Cluster test helpers: free ports, temp dirs, short-lived admin clients,
// polling with sleeps, and a last-resort kill of every child process when the test process exits.
// Never the machine's shared Redis on 6379: every port here comes from freePort().

import { rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { freePort, RedisServer } from './redis-server.js'

/** Every process of a topology listens here, so addresses in replies are the ones tests connect to. */
export const HOST = '127.0.0.1'

/** Something that can kill its processes and remove its files synchronously (all an 'exit' handler may do). */
export interface SyncCleanup {
  cleanupSync (): void
}

const live = new Set<SyncCleanup>()

function cleanupAll (): void {
  for (const each of live) each.cleanupSync()
  live.clear()
}

/**
 * Remember a topology until its stop(): if the test process ends without stopping it, its processes
 * are killed and its temp dir removed on the way out instead of outliving the run and holding ports
 * and memory on a shared machine. 'exit' covers an uncaught error or a forgotten teardown; SIGALRM is
 * how tap ends a test file that overran --timeout (SIGKILL follows 500 ms later, and a teardown that
 * is still awaiting process exits by then never finishes).
 */
export function trackUntilStopped (topology: SyncCleanup): void {
  if (live.size === 0) {
    process.on('exit', cleanupAll)
    process.on('SIGALRM', cleanupAll)
  }
  live.add(topology)
}

/** Forget a topology once stop() has cleaned up itself; the hooks go when nothing is left to clean. */
export function untrack (topology: SyncCleanup): void {
  live.delete(topology)
  if (live.size === 0) {
    process.off('exit', cleanupAll)
    process.off('SIGALRM', cleanupAll)
  }
}

/** SIGKILL a child synchronously if it is still running (SIGKILL also ends a SIGSTOPped one). */
export function killNow (child: { exitCode: number | null, signalCode: NodeJS.Signals | null, kill: (signal: NodeJS.Signals) => boolean } | undefined): void {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGKILL')
}

/** True while the server's process runs (a SIGSTOPped one counts as running). */
export function isRunning (server: RedisServer): boolean {
  const child = server.process
  return child !== undefined && child.exitCode === null && child.signalCode === null
}

/** A private temp dir for config, nodes.conf and any RDB file a full resync writes; removed by removeDir. */
export async function makeDir (prefix: string): Promise<string> {
  return await mkdtemp(join(tmpdir(), `tideflags-${prefix}-`))
}

/** Remove a temp dir made by makeDir; a missing one is fine (stop() is idempotent). */
export async function removeDir (dir: string | undefined): Promise<void> {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
}

/** removeDir for the exit hook, which cannot await. */
export function removeDirSync (dir: string | undefined): void {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
}

/**
 * A free port not in `taken`: a port our own server is still starting on (or one just killed) can
 * look free to freePort() and be handed out twice.
 */
export async function freePortOutside (taken: ReadonlySet<number>): Promise<number> {
  let port = await freePort()
  while (taken.has(port)) port = await freePort()
  return port
}

/**
 * Start a RedisServer built for a given port, picking another free port if the first one was taken
 * between freePort() and the bind (another test on this machine may grab it in that gap).
 */
export async function startOnFreePort (build: (port: number) => RedisServer, avoid: ReadonlySet<number> = new Set()): Promise<RedisServer> {
  let lastError: unknown
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePortOutside(avoid)
    const server = build(port)
    server.port = port
    try {
      await server.start()
      await assertOwnProcess(port, server.process?.pid)
      return server
    } catch (error) {
      lastError = error
      await server.kill()
    }
  }
  throw lastError
}

/**
 * Check that the process answering on `port` is the one we spawned: if the port was taken, our
 * redis-server exits, but the PING that startup waits for may first be answered by the other one.
 */
export async function assertOwnProcess (port: number, pid: number | undefined): Promise<void> {
  const info = parseInfo(String(await command(port, 'INFO', 'server')))
  if (pid === undefined || info.get('process_id') !== String(pid)) {
    throw new Error(`port ${port} is answered by another process (pid ${info.get('process_id') ?? '?'}, ours ${pid ?? '?'})`)
  }
}

/**
 * A connection for a few admin commands: no retries and no offline queue, so a dead node fails at
 * once, and a command timeout, so a frozen (SIGSTOPped) node fails instead of hanging the poll.
 */
export async function adminClient (port: number): Promise<Redis> {
  const client = new Redis({
    host: HOST,
    port,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: 1_000,
    commandTimeout: 2_000,
  })
  client.on('error', () => {})
  try {
    await client.connect()
  } catch (error) {
    client.disconnect()
    throw error
  }
  return client
}

/** Run `use` on a fresh admin connection to `port` and always close it. */
export async function withAdmin<T> (port: number, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = await adminClient(port)
  try {
    return await use(client)
  } finally {
    client.disconnect()
  }
}

/** One command on a fresh admin connection. */
export async function command (port: number, name: string, ...args: Array<string | number>): Promise<unknown> {
  return await withAdmin(port, async (client) => await client.call(name, args))
}

/** The fields of an INFO reply (`key:value` lines). */
export function parseInfo (text: string): Map<string, string> {
  const fields = new Map<string, string>()
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1))
  }
  return fields
}

/** A flat `[key, value, key, value]` reply (SENTINEL REPLICAS entries) as a record. */
export function pairs (reply: unknown): Record<string, string> {
  const record: Record<string, string> = {}
  if (!Array.isArray(reply)) return record
  for (let i = 0; i + 1 < reply.length; i += 2) record[String(reply[i])] = String(reply[i + 1])
  return record
}

/**
 * Poll `check` every `intervalMs` until it returns something other than undefined. A check that
 * throws counts as "not yet" (nodes refuse connections while they start or after a kill); its last
 * error goes into the timeout message with `what`, so a stuck topology says what it was waiting for.
 */
export async function waitFor<T> (what: string, timeoutMs: number, check: () => Promise<T | undefined>, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last = ''
  for (;;) {
    try {
      const result = await check()
      if (result !== undefined) return result
    } catch (error) {
      last = `: last error ${error instanceof Error ? error.message : String(error)}`
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last}`)
    await sleep(intervalMs)
  }
}
