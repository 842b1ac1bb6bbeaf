// The benchmark itself: start Redis x2, load the data set, start the service, the static baseline and
// the stripped ceiling, then per scenario warm each up (discarded) and alternate baseline, service
// (and ceiling) for N rounds, checking a sample of the service's answers as it goes.

import { Agent } from 'node:http'
import { availableParallelism } from 'node:os'
import { RedisServer } from '../test/helpers/redis-server.js'
import { startTopology, type RedisUnderTest, type Topology } from './topology.js'
import { startService, type Service } from '../test/helpers/service.js'
import { checkCall, sampleWhile, type CheckReport } from './checker.js'
import { DEFAULT_DATA, expectedBody, generateData, loadData, type DataSet } from './data.js'
import { runAutocannon } from './generators/autocannon.js'
import type { Generator, LoadResult } from './generators/load.js'
import { runWrk } from './generators/wrk.js'
import { liveReferences, rssMb, startBaseline, startCeiling, type ReferenceTarget } from './processes.js'
import { buildScenario, SCENARIO_NAMES, type Call, type Scenario, type ScenarioName } from './scenarios.js'
import { startSeed, type Seed } from './seed.js'
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
  /** Node flags for the service's primary, passed on to its workers ('' for none): --cpu-prof, which NODE_OPTIONS refuses. */
  readonly serviceExecArgv: string
  /** Pause between two checked requests (ms). */
  readonly checkIntervalMs: number
  /** Upper bound on a scenario's own connection count (c1000, c5000); --quick lowers it. */
  readonly connectionCap: number
  /** Measure the original Flask app under gunicorn as a third target (anonymous and bearer). */
  readonly seed: boolean
  /** Measure the stripped ceiling server (bench/ceiling-server.ts) as a target (CEILING_SCENARIOS). */
  readonly ceiling: boolean
  /** NODE_CLUSTER_SCHED_POLICY for the service and the baseline alike: '' (node's default, rr on Linux), rr or none. */
  readonly schedPolicy: '' | 'rr' | 'none'
  /** The Redis deployment under the service (bench/topology.ts). */
  readonly topology: Topology
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
  serviceExecArgv: '',
  checkIntervalMs: 5, // 5 ms: ~200 checked requests/s, noise next to the load
  connectionCap: 100_000, // no cap: c5000 gets its 5,000
  seed: false,
  ceiling: true,
  schedPolicy: '' as const,
  topology: 'single' as const,
})

/** The scenarios the seed target runs: the two the issue compares against the original stack. */
export const SEED_SCENARIOS: readonly ScenarioName[] = ['anonymous', 'bearer']

/** The scenarios the ceiling target runs: the ones whose requests it implements. */
export const CEILING_SCENARIOS: readonly ScenarioName[] = ['anonymous', 'bearer', 'same-instance']

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
  /** The original stack's runs, when the seed target ran this scenario; empty otherwise. */
  readonly seed: Sample[]
  /** The stripped ceiling server's runs, when it ran this scenario; empty otherwise. */
  readonly ceiling: Sample[]
  /** Connections this scenario ran with. */
  readonly connections: number
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
  for (const child of liveReferences) child.kill('SIGTERM')
  await Promise.allSettled([...running].map(async (stop) => stop()))
}

/** Run the benchmark; always stops what it started. */
export async function runBench (options: BenchOptions): Promise<BenchReport> {
  const log = options.progress
  const generator: Generator = options.generator === 'wrk' ? runWrk : runAutocannon
  let redis: RedisUnderTest | undefined
  let service: Service | undefined
  let baseline: ReferenceTarget | undefined
  let seed: Seed | undefined
  let ceiling: ReferenceTarget | undefined
  const stop = async (): Promise<void> => {
    await Promise.allSettled([service?.stop(), baseline?.stop(), seed?.stop(), ceiling?.stop()])
    await redis?.stop()
  }
  running.add(stop)
  try {
    redis = await startTopology(options.topology)
    log(`redis: ${options.topology}`)
    const data = generateData({ ...DEFAULT_DATA, users: options.users })
    const loadStarted = Date.now()
    const [u, f] = [redis.users(), redis.features()]
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
    const policy: Record<string, string> = options.schedPolicy === '' ? {} : { NODE_CLUSTER_SCHED_POLICY: options.schedPolicy }
    baseline = await startBaseline(options.workers, bodyBytes, policy)
    const serviceEnv = (usersUrl: string, featuresUrl: string): Record<string, string> => ({
      REDIS_USERS_URL: usersUrl,
      REDIS_FEATURES_URL: featuresUrl,
      REDIS_CLIENT_CACHE_ENTRIES: String(options.cacheEntries),
      // Read by the targeting scenario only; the others send no such header (one header lookup).
      LOCATION_HEADER,
      NODE_OPTIONS: options.serviceNodeOptions,
      // The service's primary sets cluster.schedulingPolicy from its own variable, which overrides
      // node's NODE_CLUSTER_SCHED_POLICY (the variable the baseline and the ceiling go by).
      ...(options.schedPolicy === '' ? {} : { CLUSTER_SCHEDULING: options.schedPolicy }),
    })
    const execArgv = options.serviceExecArgv === '' ? [] : options.serviceExecArgv.split(' ')
    service = await startService(serviceEnv(redis.usersUrl, redis.featuresUrl), options.workers, false, execArgv)
    checkScheduling(service, options.schedPolicy)
    // The original stack reads plain Redis URLs only: its target runs on the default topology.
    if (options.seed && redis.plain) {
      seed = await startSeed(redis.usersUrl, redis.featuresUrl)
      log(`seed: gunicorn answering on ${seed.url}`)
    }
    // The ceiling reads plain Redis URLs only, like the seed.
    if (options.ceiling && redis.plain) ceiling = await startCeiling(options.workers, redis.usersUrl, redis.featuresUrl, policy)

    const scenarios: ScenarioReport[] = []
    for (const name of options.scenarios) {
      const scenario = buildScenario(name, data)
      // same-instance runs against its own service, on one Redis holding both data sets, started for
      // the scenario and stopped after it: the other scenarios keep measuring the two-Redis layout.
      if (scenario.sameInstance === true && !redis.plain) {
        log(`${scenario.name}: skipped (one plain instance for both roles; --topology ${options.topology} is not one)`)
        continue
      }
      const target = scenario.sameInstance === true ? await startSameInstance(data, serviceEnv, options, policy) : undefined
      if (target !== undefined) running.add(target.stop)
      try {
        const ceilingUrl = CEILING_SCENARIOS.includes(scenario.name as ScenarioName) ? (target === undefined ? ceiling : target.ceiling)?.url : undefined
        if (ceilingUrl !== undefined) await checkReference(data, ceilingUrl, scenario.calls)
        scenarios.push(await runScenario(scenario, data, target?.service ?? service, baseline.url, seed, ceilingUrl, redis, generator, options))
      } finally {
        if (target !== undefined) {
          await target.stop()
          running.delete(target.stop)
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

/**
 * Warm up, then alternate baseline, service (and ceiling, seed) for the rounds, checking the service's
 * answers.
 */
async function runScenario (
  scenario: Scenario, data: DataSet, service: Service, baselineUrl: string, seed: Seed | undefined, ceilingUrl: string | undefined,
  redis: RedisUnderTest, generator: Generator, options: BenchOptions,
): Promise<ScenarioReport> {
  const log = options.progress
  const name = scenario.name as ScenarioName
  const serviceUrl = `${service.url}/features`
  const servicePids = service.logs.filter((l) => l.msg === 'worker listening').map((l) => Number(l.pid))
  const connections = Math.min(scenario.connections ?? options.connections, options.connectionCap)
  const seedUrl = seed !== undefined && SEED_SCENARIOS.includes(name) ? seed.url : undefined
  // The reference targets besides the baseline, each run after the service in every round.
  const extras = ([['ceiling', ceilingUrl], ['seed', seedUrl]] as const).filter((e): e is readonly ['ceiling' | 'seed', string] => e[1] !== undefined)
  const run = (url: string, durationS: number): Promise<LoadResult> =>
    generator({ url, connections, durationS, calls: scenario.calls, closeEach: scenario.closeEach === true })
  // The targeting keys exist only while their scenario runs: the others measure the plain data.
  const targeting = scenario.targeting
  const admin = targeting === undefined ? undefined : redis.features()
  if (targeting !== undefined && admin !== undefined) await loadTargeting(targeting, admin)
  try {
    log(`${name}: warm-up (${connections} connections)`)
    await run(baselineUrl, options.warmupS)
    await run(serviceUrl, options.warmupS)
    for (const [, url] of extras) await run(url, options.warmupS)
    const report: ScenarioReport = {
      name, description: scenario.description, baseline: [], service: [], seed: [], ceiling: [], connections, check: { checked: 0, failed: 0, failures: [] }, serviceRssMb: [],
    }
    for (let round = 1; round <= options.rounds; round++) {
      const b = await run(baselineUrl, options.durationS)
      report.baseline.push({ ...b, round })
      const load = run(serviceUrl, options.durationS)
      const check = await sampleWhile(data, serviceUrl, scenario.calls, load, options.checkIntervalMs, scenario.targeting)
      const s = await load
      report.service.push({ ...s, round })
      report.check.checked += check.checked
      report.check.failed += check.failed
      report.check.failures.push(...check.failures.slice(0, 5 - report.check.failures.length))
      let line = `${name} round ${round}: baseline ${b.rps.toFixed(0)} req/s, service ${s.rps.toFixed(0)} req/s ` +
        `(${(s.rps / b.rps * 100).toFixed(1)}%), p99 ${s.p99} ms, max ${s.maxLatency} ms, timeouts ${s.timeouts}/${b.timeouts}, `
      for (const [target, url] of extras) {
        const x = await run(url, options.durationS)
        report[target].push({ ...x, round })
        // The ceiling as a share (the service reaches part of it), the seed as a multiple.
        line += target === 'ceiling'
          ? `ceiling ${x.rps.toFixed(0)} req/s (${(x.rps / b.rps * 100).toFixed(1)}%, service/ceiling ${(s.rps / x.rps * 100).toFixed(1)}%), `
          : `seed ${x.rps.toFixed(0)} req/s (service x${(s.rps / x.rps).toFixed(1)}), `
      }
      log(line + `checked ${check.checked}, wrong ${check.failed}`)
    }
    report.serviceRssMb.push(...servicePids.map(rssMb))
    return report
  } finally {
    if (targeting !== undefined && admin !== undefined) {
      await unloadTargeting(targeting, admin)
      admin.disconnect()
    }
  }
}

/** A third Redis holding both data sets, and a service (and a ceiling) whose two URLs both name it. */
async function startSameInstance (
  data: DataSet, serviceEnv: (usersUrl: string, featuresUrl: string) => Record<string, string>, options: BenchOptions,
  policy: Record<string, string>,
): Promise<{ service: Service, ceiling: ReferenceTarget | undefined, stop: () => Promise<void> }> {
  const redis = new RedisServer()
  let service: Service | undefined
  let ceiling: ReferenceTarget | undefined
  const stop = async (): Promise<void> => {
    await Promise.allSettled([service?.stop(), ceiling?.stop()])
    await redis.stop()
  }
  try {
    await redis.start()
    const client = redis.client()
    try {
      await loadData(data, client, client)
    } finally {
      client.disconnect()
    }
    service = await startService(serviceEnv(redis.url, redis.url), options.workers)
    if (options.ceiling) ceiling = await startCeiling(options.workers, redis.url, redis.url, policy)
    return { service, ceiling, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

/**
 * A reference target must give the right answers, or its rate bounds nothing: the anonymous answer and
 * the first calls of the scenario are checked once before it is measured.
 */
async function checkReference (data: DataSet, url: string, calls: readonly Call[]): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const report: CheckReport = { checked: 0, failed: 0, failures: [] }
  try {
    for (const call of [{ authorization: undefined, caller: 'anonymous' as const }, ...calls.slice(0, 20)]) await checkCall(data, url, agent, call, report)
  } finally {
    agent.destroy()
  }
  if (report.failed > 0) throw new Error(`the ceiling answered ${report.failed} of ${report.checked} checked calls wrong: ${report.failures.join('; ')}`)
}

/**
 * Refuse a run whose service does not use the policy asked for: until this check, `--sched-policy`
 * set only NODE_CLUSTER_SCHED_POLICY, which the service's primary overrides, so "none" runs measured
 * the service under rr (bench/README.md, round two).
 */
function checkScheduling (service: Service, asked: BenchOptions['schedPolicy']): void {
  const said = service.logs.find((line) => line.msg === 'tideflags starting on Redis')?.scheduling
  const expected = asked === '' ? 'rr' : asked
  if (said !== expected) throw new Error(`the service says it schedules connections ${JSON.stringify(said)}, not ${expected}`)
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
