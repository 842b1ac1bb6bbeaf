// The benchmark itself: start Redis x2, load the data set, start the service and the static baseline,
// then per scenario warm both up (discarded) and alternate baseline and service for N rounds, checking
// a sample of the service's answers as it goes.

import { availableParallelism } from 'node:os'
import { RedisServer } from '../test/helpers/redis-server.js'
import { startService, type Service } from '../test/helpers/service.js'
import { sampleWhile, type CheckReport } from './checker.js'
import { DEFAULT_DATA, expectedBody, generateData, loadData, type DataSet } from './data.js'
import { runAutocannon } from './generators/autocannon.js'
import type { Generator, LoadResult } from './generators/load.js'
import { runWrk } from './generators/wrk.js'
import { liveBaselines, rssMb, startBaseline, type Baseline } from './processes.js'
import { buildScenario, SCENARIO_NAMES, type ScenarioName } from './scenarios.js'
import { LOCATION_HEADER, loadTargeting, unloadTargeting } from './targeting.js'

/** Every knob of a run; bench/README.md explains each. */
export interface BenchOptions {
  readonly generator: 'autocannon' | 'wrk'
  readonly scenarios: readonly ScenarioName[]
  readonly users: number
  readonly workers: number
  readonly connections: number
  /** Length of each measured run (s). */
  readonly durationS: number
  /** Length of the discarded warm-up run of each target, per scenario (s). */
  readonly warmupS: number
  readonly rounds: number
  /** The service's REDIS_CLIENT_CACHE_ENTRIES (0: client-side cache off). */
  readonly cacheEntries: number
  /** NODE_OPTIONS for the service's processes (V8 flags such as --max-semi-space-size); '' for none. */
  readonly serviceNodeOptions: string
  /** Pause between two checked requests (ms). */
  readonly checkIntervalMs: number
  /** Progress lines go here (stderr by default). */
  readonly progress: (line: string) => void
}

export const DEFAULT_OPTIONS: Omit<BenchOptions, 'progress'> = Object.freeze({
  generator: 'autocannon' as const,
  scenarios: SCENARIO_NAMES,
  users: DEFAULT_DATA.users,
  workers: availableParallelism(),
  connections: 50,
  durationS: 5, // 5 s per measured run
  warmupS: 3, // 3 s per target per scenario, thrown away
  rounds: 3,
  // The service's own default (cache off): a plain run measures what ships. `--cache-entries 250000`
  // (room for every user of the data set) measures the opt-in client-side cache.
  cacheEntries: 0,
  serviceNodeOptions: '',
  checkIntervalMs: 5, // 5 ms: ~200 checked requests/s, noise next to the load
})

/** One measured run of one target. */
export interface Sample extends LoadResult {
  readonly round: number
}

/** Everything measured for one scenario. */
export interface ScenarioReport {
  readonly name: ScenarioName
  readonly description: string
  readonly baseline: Sample[]
  readonly service: Sample[]
  readonly check: CheckReport
  /** Largest worker RSS after the scenario (MB), per worker. */
  readonly serviceRssMb: number[]
}

/** The whole run, as written to bench/results/. */
export interface BenchReport {
  readonly date: string
  readonly cores: number
  readonly node: string
  readonly options: Omit<BenchOptions, 'progress'>
  readonly bodyBytes: number
  readonly loadSeconds: number
  readonly scenarios: ScenarioReport[]
}

// What a run has started, so an interrupted run (Ctrl-C) stops it too instead of leaving orphans.
const running = new Set<() => Promise<unknown>>()

/** Stop everything the current run started. For signal handlers; the run's own finally does the same. */
export async function stopAll (): Promise<void> {
  for (const child of liveBaselines) child.kill('SIGTERM')
  await Promise.allSettled([...running].map(async (stop) => stop()))
}

/** Run the benchmark; always stops what it started. */
export async function runBench (options: BenchOptions): Promise<BenchReport> {
  const log = options.progress
  const generator: Generator = options.generator === 'wrk' ? runWrk : runAutocannon
  const usersRedis = new RedisServer()
  const featuresRedis = new RedisServer()
  let service: Service | undefined
  let baseline: Baseline | undefined
  const stop = async (): Promise<void> => {
    await Promise.allSettled([service?.stop(), baseline?.stop()])
    await Promise.allSettled([usersRedis.stop(), featuresRedis.stop()])
  }
  running.add(stop)
  try {
    await Promise.all([usersRedis.start(), featuresRedis.start()])
    const data = generateData({ ...DEFAULT_DATA, users: options.users })
    const loadStarted = Date.now()
    const [u, f] = [usersRedis.client(), featuresRedis.client()]
    try {
      await loadData(data, u, f)
    } finally {
      u.disconnect()
      f.disconnect()
    }
    const loadSeconds = (Date.now() - loadStarted) / 1000
    log(`loaded ${options.users} users in ${loadSeconds.toFixed(2)} s`)

    const bodyBytes = medianBodyBytes(data)
    // One after the other, each assigned at once, so an interrupted start still stops what it started.
    baseline = await startBaseline(options.workers, bodyBytes)
    service = await startService({
      REDIS_USERS_URL: usersRedis.url,
      REDIS_FEATURES_URL: featuresRedis.url,
      REDIS_CLIENT_CACHE_ENTRIES: String(options.cacheEntries),
      // Read by the targeting scenario only; the others send no such header (one header lookup).
      LOCATION_HEADER,
      NODE_OPTIONS: options.serviceNodeOptions,
    }, options.workers)
    const serviceUrl = `${service.url}/features`
    const servicePids = service.logs.filter((l) => l.msg === 'worker listening').map((l) => Number(l.pid))

    const scenarios: ScenarioReport[] = []
    for (const name of options.scenarios) {
      const scenario = buildScenario(name, data)
      const run = (url: string, durationS: number): Promise<LoadResult> =>
        generator({ url, connections: options.connections, durationS, calls: scenario.calls })
      // The targeting keys exist only while their scenario runs: the others measure the plain data.
      const targeting = scenario.targeting
      const admin = targeting === undefined ? undefined : featuresRedis.client()
      if (targeting !== undefined && admin !== undefined) await loadTargeting(targeting, admin)
      try {
        log(`${name}: warm-up`)
        await run(baseline.url, options.warmupS)
        await run(serviceUrl, options.warmupS)
        const report: ScenarioReport = {
          name, description: scenario.description, baseline: [], service: [], check: { checked: 0, failed: 0, failures: [] }, serviceRssMb: [],
        }
        for (let round = 1; round <= options.rounds; round++) {
          const b = await run(baseline.url, options.durationS)
          report.baseline.push({ ...b, round })
          const load = run(serviceUrl, options.durationS)
          const check = await sampleWhile(data, serviceUrl, scenario.calls, load, options.checkIntervalMs, scenario.targeting)
          const s = await load
          report.service.push({ ...s, round })
          report.check.checked += check.checked
          report.check.failed += check.failed
          report.check.failures.push(...check.failures.slice(0, 5 - report.check.failures.length))
          log(`${name} round ${round}: baseline ${b.rps.toFixed(0)} req/s, service ${s.rps.toFixed(0)} req/s ` +
            `(${(s.rps / b.rps * 100).toFixed(1)}%), p99 ${s.p99} ms, checked ${check.checked}, wrong ${check.failed}`)
        }
        report.serviceRssMb.push(...servicePids.map(rssMb))
        scenarios.push(report)
      } finally {
        if (targeting !== undefined && admin !== undefined) {
          await unloadTargeting(targeting, admin)
          admin.disconnect()
        }
      }
    }
    return {
      date: new Date().toISOString(),
      cores: availableParallelism(),
      node: process.version,
      options: withoutProgress(options),
      bodyBytes,
      loadSeconds,
      scenarios,
    }
  } finally {
    await stop()
    running.delete(stop)
  }
}

function withoutProgress ({ progress: _progress, ...rest }: BenchOptions): Omit<BenchOptions, 'progress'> {
  return rest
}

// The baseline answers with a body as big as a typical authenticated answer.
function medianBodyBytes (data: DataSet): number {
  const sizes: number[] = []
  const step = Math.max(1, Math.floor(data.tokens.length / 1000))
  for (let i = 0; i < data.tokens.length; i += step) sizes.push(Buffer.byteLength(expectedBody(data, i)))
  sizes.sort((a, b) => a - b)
  return sizes[sizes.length >> 1] ?? 0
}
