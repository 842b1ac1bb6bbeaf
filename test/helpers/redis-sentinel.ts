// Starts and stops a real Redis Sentinel setup on free ports for tests: one primary, one replica and
// three sentinels (quorum 2) watching them, with timeouts short enough that a failover takes seconds.
// Never the machine's shared Redis on 6379.

import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Redis, type RedisOptions } from 'ioredis'
import { RedisServer } from './redis-server.js'
import {
  assertOwnProcess, command, freePortOutside, HOST, isRunning, killNow, makeDir, pairs, parseInfo,
  removeDir, removeDirSync, startOnFreePort, trackUntilStopped, untrack, waitFor, withAdmin,
} from './redis-topology.js'

/** Where a sentinel listens, in the shape ioredis takes for its `sentinels` option. */
export interface SentinelAddress {
  host: string
  port: number
}

/** What waitForFailover saw: the new primary and how long the wait took. */
export interface FailoverResult {
  /** Port of the promoted server. */
  port: number
  /** Milliseconds from the call until every running sentinel named it and it answered ROLE as master. */
  ms: number
}

// Short timeouts so a failover takes seconds, not the default minutes: down after 1 s without a
// reply, and a failed failover attempt retried after 2 × 3 s.
const DOWN_AFTER_MS = 1_000
const FAILOVER_TIMEOUT_MS = 3_000

/** How long start() waits for replication and for the sentinels to find each other (hello every 2 s). */
const START_TIMEOUT_MS = 20_000

/**
 * Arguments for a server that replicates or is replicated (either one may become the primary):
 * --dir because a replica's full resync writes an RDB file and the default dir is the cwd (the repo);
 * no diskless-sync delay because by default a primary waits 5 s for more replicas before the first sync.
 */
function replicationArgs (dir: string, rdbFile: string): string[] {
  return ['--dir', dir, '--dbfilename', rdbFile, '--repl-diskless-sync-delay', '0']
}

/** A sentinel process of the group. */
class SentinelProcess {
  constructor (readonly port: number, readonly process: ChildProcess) {}

  get running (): boolean {
    return this.process.exitCode === null && this.process.signalCode === null
  }

  async kill (): Promise<void> {
    if (!this.running) return
    this.process.kill('SIGKILL')
    await once(this.process, 'exit')
  }
}

/**
 * One primary, one replica, three sentinels monitoring master `mymaster` with quorum 2. `primary` and
 * `replica` keep naming the servers by their role at start; after a failover ask currentPrimaryPort().
 */
export class RedisSentinelGroup {
  readonly masterName = 'mymaster'
  /** The sentinels' addresses, for ioredis `sentinels` or a redis+sentinel:// URL. */
  readonly sentinels: SentinelAddress[] = []
  #primary: RedisServer | undefined
  #replica: RedisServer | undefined
  readonly #sentinelProcesses: SentinelProcess[] = []
  #dir: string | undefined

  /** The server that was primary at start (it may be a replica, or dead, after a failover). */
  get primary (): RedisServer {
    if (this.#primary === undefined) throw new Error('RedisSentinelGroup: start() first')
    return this.#primary
  }

  /** The server that was the replica at start. */
  get replica (): RedisServer {
    if (this.#replica === undefined) throw new Error('RedisSentinelGroup: start() first')
    return this.#replica
  }

  /** The URL form the service parses: every sentinel, then the master name, then the db if given. */
  url (db?: number): string {
    const hosts = this.sentinels.map((s) => `${s.host}:${s.port}`).join(',')
    return `redis+sentinel://${hosts}/${this.masterName}${db === undefined ? '' : `/${db}`}`
  }

  /**
   * Start primary, replica (once its link is up) and three sentinels, and wait until every sentinel
   * knows the replica and the two other sentinels: before that, a failover could not be agreed on.
   * If any step fails, everything started so far is stopped before the error is thrown.
   */
  async start (): Promise<this> {
    trackUntilStopped(this)
    try {
      this.#dir = await makeDir('sentinel')
      const dir = this.#dir
      this.#primary = await startOnFreePort(() => new RedisServer(replicationArgs(dir, 'primary.rdb')))
      const primaryPort = this.#primary.port
      this.#replica = await startOnFreePort(() => new RedisServer([
        '--replicaof', HOST, String(primaryPort), ...replicationArgs(dir, 'replica.rdb'),
      ]), new Set([primaryPort]))
      const replicaPort = this.#replica.port
      await waitFor(`replica ${replicaPort} to sync with primary ${primaryPort}`, START_TIMEOUT_MS, async () => {
        const info = parseInfo(String(await command(replicaPort, 'INFO', 'replication')))
        return info.get('master_link_status') === 'up' ? true : undefined
      })
      for (let i = 0; i < 3; i++) {
        const taken = new Set([primaryPort, replicaPort, ...this.sentinels.map((s) => s.port)])
        const sentinel = await this.#startSentinel(dir, primaryPort, taken)
        this.sentinels.push({ host: HOST, port: sentinel.port })
      }
      await this.#waitUntilSentinelsKnowEachOther(replicaPort)
      return this
    } catch (error) {
      await this.stop()
      throw error
    }
  }

  /** Port of the primary as the first answering sentinel reports it (SENTINEL GET-MASTER-ADDR-BY-NAME). */
  async currentPrimaryPort (): Promise<number> {
    let lastError: unknown = new Error('no sentinel is running')
    for (const sentinel of this.#sentinelProcesses) {
      if (!sentinel.running) continue
      try {
        return await this.#primaryPortSeenBy(sentinel.port)
      } catch (error) {
        lastError = error
      }
    }
    throw lastError
  }

  /**
   * SIGKILL the current primary (a crash: no shutdown, no last replication) and return its port. By
   * default it first waits (WAIT, up to 2 s) until the replica has acknowledged every write, so data
   * written before the call survives the failover; `{ waitForReplica: false }` skips that.
   */
  async killPrimary (options: { waitForReplica?: boolean } = {}): Promise<number> {
    const port = await this.currentPrimaryPort()
    const server = this.#serverOnPort(port)
    if (options.waitForReplica !== false) await command(port, 'WAIT', 1, 2_000)
    await server.kill()
    return port
  }

  /**
   * Wait until every running sentinel names a primary other than `oldPort` and that server answers
   * ROLE as master. With the short timeouts this takes a few seconds; a first election that splits
   * its votes is retried after 2 × failover-timeout, hence the generous default.
   */
  async waitForFailover (oldPort: number, timeoutMs = 30_000): Promise<FailoverResult> {
    const started = Date.now()
    const port = await waitFor(`sentinels to promote a new primary instead of ${oldPort}`, timeoutMs, async () => {
      const seen = new Set<number>()
      for (const sentinel of this.#sentinelProcesses) {
        if (sentinel.running) seen.add(await this.#primaryPortSeenBy(sentinel.port))
      }
      const [candidate] = seen
      if (seen.size !== 1 || candidate === undefined || candidate === oldPort) return undefined
      const role = await command(candidate, 'ROLE')
      return Array.isArray(role) && role[0] === 'master' ? candidate : undefined
    })
    return { port, ms: Date.now() - started }
  }

  /**
   * An ioredis client that finds the master through the sentinels (and follows it after a failover).
   * Caller quits it. `options` are merged over the defaults (e.g. `{ db: 1 }`).
   */
  client (options: RedisOptions = {}): Redis {
    const client = new Redis({ sentinels: this.sentinels, name: this.masterName, ...options })
    // Without a listener ioredis prints every refused reconnect during a failover as "Unhandled error
    // event"; commands still reject with their error, and a caller can add its own listener.
    client.on('error', () => {})
    return client
  }

  /** SIGKILL one sentinel (by index in `sentinels`), to test clients that must try the next one. */
  async killSentinel (index: number): Promise<void> {
    const sentinel = this.#sentinelProcesses[index]
    if (sentinel === undefined) throw new Error(`no sentinel ${index}`)
    await sentinel.kill()
  }

  /** Kill every process (SIGKILL) and remove the temp dir. Safe to call twice, or after a failed start. */
  async stop (): Promise<void> {
    await Promise.all(this.#sentinelProcesses.map(async (s) => await s.kill()))
    await Promise.all([this.#primary?.stop(), this.#replica?.stop()])
    await removeDir(this.#dir)
    this.#dir = undefined
    untrack(this)
  }

  /** For the exit hook: kill and remove without waiting (an 'exit' handler cannot await). */
  cleanupSync (): void {
    for (const sentinel of this.#sentinelProcesses) killNow(sentinel.process)
    for (const server of [this.#primary, this.#replica]) {
      server?.resume()
      killNow(server?.process)
    }
    removeDirSync(this.#dir)
  }

  #serverOnPort (port: number): RedisServer {
    const server = [this.#primary, this.#replica].find((s) => s !== undefined && s.port === port)
    if (server === undefined) throw new Error(`port ${port} is not a server of this group`)
    if (!isRunning(server)) throw new Error(`server on port ${port} is not running`)
    return server
  }

  async #primaryPortSeenBy (sentinelPort: number): Promise<number> {
    const reply = await command(sentinelPort, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.masterName)
    if (!Array.isArray(reply) || reply.length !== 2) throw new Error(`sentinel ${sentinelPort} has no master address: ${JSON.stringify(reply)}`)
    return Number(reply[1])
  }

  /** Spawn a sentinel with its own writable config file (sentinels rewrite it as they learn). */
  async #startSentinel (dir: string, primaryPort: number, taken: ReadonlySet<number>): Promise<SentinelProcess> {
    let lastError: unknown
    // Retried on a new port: the free port may be taken by another test before the sentinel binds it.
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePortOutside(taken)
      const file = join(dir, `sentinel-${port}.conf`)
      await writeFile(file, [
        `port ${port}`,
        `bind ${HOST}`,
        'protected-mode no',
        'daemonize no',
        `dir ${dir}`,
        `logfile ${join(dir, `sentinel-${port}.log`)}`,
        `sentinel monitor ${this.masterName} ${HOST} ${primaryPort} 2`,
        `sentinel down-after-milliseconds ${this.masterName} ${DOWN_AFTER_MS}`,
        `sentinel failover-timeout ${this.masterName} ${FAILOVER_TIMEOUT_MS}`,
        `sentinel parallel-syncs ${this.masterName} 1`,
        '',
      ].join('\n'))
      const sentinel = new SentinelProcess(port, spawn('redis-server', [file, '--sentinel'], { stdio: 'ignore' }))
      this.#sentinelProcesses.push(sentinel)
      try {
        const up = await waitFor(`sentinel ${port} to answer PING`, 10_000, async () => {
          if (!sentinel.running) return false
          await command(port, 'PING')
          return true
        }, 50)
        if (!up) throw new Error(`sentinel on port ${port} exited during startup (see ${dir})`)
        await assertOwnProcess(port, sentinel.process.pid)
        return sentinel
      } catch (error) {
        lastError = error
        await sentinel.kill()
        this.#sentinelProcesses.splice(this.#sentinelProcesses.indexOf(sentinel), 1)
      }
    }
    throw lastError
  }

  /** Every sentinel lists the replica and the two other sentinels, none of them marked down. */
  async #waitUntilSentinelsKnowEachOther (replicaPort: number): Promise<void> {
    const ports = this.sentinels.map((s) => s.port)
    await waitFor('every sentinel to know the replica and the other sentinels', START_TIMEOUT_MS, async () => {
      for (const port of ports) {
        const known = await withAdmin(port, async (client) => ({
          replicas: (await client.call('SENTINEL', ['REPLICAS', this.masterName]) as unknown[]).map(pairs),
          sentinels: (await client.call('SENTINEL', ['SENTINELS', this.masterName]) as unknown[]).map(pairs),
        }))
        const healthy = (entry: Record<string, string>): boolean => !/s_down|o_down|disconnected/.test(entry.flags ?? '')
        if (!known.replicas.some((r) => Number(r.port) === replicaPort && healthy(r))) return undefined
        const others = new Set(known.sentinels.filter(healthy).map((s) => Number(s.port)))
        if (!ports.every((p) => p === port || others.has(p))) return undefined
      }
      return true
    })
  }
}
