// `npm run bench`: parse the knobs, run the benchmark, print the table, save the JSON.
// Exit code 1 when any checked answer was wrong: a fast wrong answer is a failure.

import { mkdirSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { DEFAULT_OPTIONS, runBench, stopAll, type BenchOptions, type BenchReport, type Sample } from './harness.js'
import { hasWrk } from './generators/wrk.js'
import { seedAvailable } from './seed.js'
import { TOPOLOGIES, type Topology } from './topology.js'
import { SCENARIO_NAMES, type ScenarioName } from './scenarios.js'
import { formatSpread, spread, table } from './stats.js'

// --quick: a few seconds of load in all, for `npm test`; figures from it mean nothing. It runs every
// scenario, c1000 and c5000 included, but caps their connections at 16: it checks that each code path
// works, and thousands of connections would make `npm test` slow and flaky on a shared machine.
const QUICK: Partial<BenchOptions> = { users: 2_000, workers: 1, connections: 4, rounds: 1, durationS: 0.1, warmupS: 0.05, checkIntervalMs: 1, connectionCap: 16 }

/** Parse command-line knobs; throws a one-line message on a bad one. */
export function parseOptions (argv: readonly string[]): BenchOptions & { save: boolean } {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      generator: { type: 'string' },
      scenarios: { type: 'string' },
      users: { type: 'string' },
      workers: { type: 'string' },
      connections: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      'cache-entries': { type: 'string' },
      'service-node-options': { type: 'string' },
      'service-exec-argv': { type: 'string' },
      'check-interval': { type: 'string' },
      quick: { type: 'boolean' },
      seed: { type: 'boolean' },
      'no-seed': { type: 'boolean' },
      'no-ceiling': { type: 'boolean' },
      'sched-policy': { type: 'string' },
      'no-save': { type: 'boolean' },
      topology: { type: 'string' },
    },
  })
  const base = { ...DEFAULT_OPTIONS, ...(values.quick === true ? QUICK : {}) }
  const num = (name: string, raw: string | undefined, fallback: number, min: number): number => {
    if (raw === undefined) return fallback
    const n = Number(raw)
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name}: expected a number >= ${min}, got ${JSON.stringify(raw)}`)
    return n
  }
  const generator = values.generator ?? base.generator
  if (generator !== 'autocannon' && generator !== 'wrk') throw new Error(`--generator: expected autocannon or wrk, got ${JSON.stringify(generator)}`)
  if (generator === 'wrk' && !hasWrk()) throw new Error('--generator wrk: wrk is not on PATH (apt-get install wrk)')
  // autocannon cannot open a connection per request (see generators/autocannon.ts): by default the
  // scenario that needs it runs only under wrk; asked for by name under autocannon, it is an error.
  const scenarios = values.scenarios === undefined
    ? base.scenarios.filter((s) => generator === 'wrk' || s !== 'conn-per-request')
    : values.scenarios.split(',')
  if (generator === 'autocannon' && scenarios.includes('conn-per-request')) throw new Error('--scenarios conn-per-request needs --generator wrk (autocannon cannot open a connection per request)')
  for (const s of scenarios) {
    if (!(SCENARIO_NAMES as readonly string[]).includes(s)) throw new Error(`--scenarios: unknown ${JSON.stringify(s)} (have ${SCENARIO_NAMES.join(', ')})`)
  }
  const schedPolicy = values['sched-policy'] ?? base.schedPolicy
  if (schedPolicy !== '' && schedPolicy !== 'rr' && schedPolicy !== 'none') throw new Error(`--sched-policy: expected rr or none, got ${JSON.stringify(schedPolicy)}`)
  // The seed target: asked for with --seed, or on by default when gunicorn is there (not in --quick,
  // which keeps `npm test` independent of Python). Missing gunicorn skips it with one line, not an error.
  let seed = values['no-seed'] !== true && (values.seed === true || values.quick !== true)
  const available = seedAvailable()
  if (seed && !available.ok) {
    if (values.seed === true || values.quick !== true) process.stderr.write(`bench: seed target skipped: ${available.why}\n`)
    seed = false
  }
  const topology = values.topology ?? base.topology
  if (!(TOPOLOGIES as readonly string[]).includes(topology)) throw new Error(`--topology: expected ${TOPOLOGIES.join(', ')}, got ${JSON.stringify(topology)}`)
  return {
    generator,
    seed,
    ceiling: values['no-ceiling'] !== true,
    topology: topology as Topology,
    schedPolicy,
    connectionCap: base.connectionCap,
    scenarios: scenarios as ScenarioName[],
    users: Math.floor(num('users', values.users, base.users, 1)),
    workers: Math.floor(num('workers', values.workers, base.workers, 1)),
    connections: Math.floor(num('connections', values.connections, base.connections, 1)),
    durationS: num('duration', values.duration, base.durationS, 0.05),
    warmupS: num('warmup', values.warmup, base.warmupS, 0.05),
    rounds: Math.floor(num('rounds', values.rounds, base.rounds, 1)),
    cacheEntries: Math.floor(num('cache-entries', values['cache-entries'], base.cacheEntries, 0)),
    serviceNodeOptions: values['service-node-options'] ?? base.serviceNodeOptions,
    serviceExecArgv: values['service-exec-argv'] ?? base.serviceExecArgv,
    checkIntervalMs: num('check-interval', values['check-interval'], base.checkIntervalMs, 0),
    progress: (line) => process.stderr.write(line + '\n'),
    save: values['no-save'] !== true,
  }
}

/** The summary table: medians (min-max) over the rounds; ratios paired per round. */
export function summaryTable (report: BenchReport): string {
  const rows: string[][] = []
  for (const s of report.scenarios) {
    const targets = [
      ['baseline', s.baseline], ['service', s.service],
      ...(s.ceiling.length > 0 ? [['ceiling', s.ceiling] as const] : []), ...(s.seed.length > 0 ? [['seed', s.seed] as const] : []),
    ] as const
    for (const [target, samples] of targets) {
      // Each run against the baseline run of its own round.
      const paired = (f: (x: Sample, b: Sample) => number, digits: number, unit: string): string => target === 'baseline'
        ? ''
        : formatSpread(spread(samples.map((x, i) => { const b = s.baseline[i]; return b === undefined ? Number.NaN : f(x, b) })), digits, unit)
      rows.push([
        s.name,
        target,
        String(s.connections),
        formatSpread(spread(samples.map((x) => x.rps))),
        formatSpread(spread(samples.map((x) => x.p50)), 2),
        formatSpread(spread(samples.map((x) => x.p99)), 2),
        formatSpread(spread(samples.map((x) => x.maxLatency)), 0),
        String(samples.reduce((n, x) => n + x.timeouts, 0)),
        String(samples.reduce((n, x) => n + x.errors, 0)),
        String(samples.reduce((n, x) => n + x.non2xx, 0)),
        formatSpread(spread(samples.map((x) => x.generatorCpu * 100)), 0, '%'),
        paired((x, b) => x.rps / b.rps * 100, 1, '%'),
        paired((x, b) => x.p99 / b.p99, 2, 'x'),
        // The seed as a multiple (the service is many times faster), the ceiling as a share (the service
        // reaches part of it).
        target === 'seed' ? formatSpread(spread(samples.map((x, i) => (s.service[i]?.rps ?? Number.NaN) / x.rps)), 1, 'x')
          : target === 'ceiling' ? formatSpread(spread(samples.map((x, i) => (s.service[i]?.rps ?? Number.NaN) / x.rps * 100)), 1, '%') : '',
        target === 'service' ? `${s.check.checked - s.check.failed}/${s.check.checked}` : '',
        target === 'service' ? Math.max(...s.serviceRssMb).toFixed(0) : '',
      ])
    }
  }
  return table(['scenario', 'target', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'timeouts', 'errors', 'non-2xx', 'gen CPU', 'vs baseline', 'p99 / baseline p99', 'service / this', 'checked ok', 'RSS MB'], rows)
}

async function main (): Promise<void> {
  let options
  try {
    options = parseOptions(process.argv.slice(2))
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n`)
    process.exit(2)
  }
  const { save, ...benchOptions } = options
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`bench: ${signal}, stopping Redis, service and baseline\n`)
      void stopAll().finally(() => process.exit(130))
    })
  }
  const report = await runBench(benchOptions)
  const o = report.options
  process.stdout.write(`tideflags bench ${report.date}: ${report.cores} cores, node ${report.node}, generator ${o.generator}, ` +
    `${o.workers} workers, ${o.connections} connections, ${o.rounds} x ${o.durationS} s (warm-up ${o.warmupS} s), ` +
    `${o.users} users, client cache ${o.cacheEntries > 0 ? o.cacheEntries + ' entries' : 'off'}, ` +
    `${o.serviceNodeOptions === '' ? '' : `service NODE_OPTIONS ${o.serviceNodeOptions}, `}` +
    `cluster scheduling ${o.schedPolicy === '' ? 'default' : o.schedPolicy}, seed target ${o.seed ? 'on' : 'off'}, ceiling target ${o.ceiling ? 'on' : 'off'}, baseline body ${report.bodyBytes} B\n\n${summaryTable(report)}\n`)
  if (save) {
    const dir = new URL('./results/', import.meta.url)
    mkdirSync(dir, { recursive: true })
    const file = new URL(`${report.date.replace(/[:.]/g, '-')}-${o.generator}.json`, dir)
    writeFileSync(file, JSON.stringify(report, null, 2) + '\n')
    process.stdout.write(`\nsaved ${file.pathname}\n`)
  }
  const wrong = report.scenarios.filter((s) => s.check.failed > 0 || s.check.checked === 0)
  for (const s of wrong) process.stderr.write(`bench: ${s.name}: ${s.check.failed} of ${s.check.checked} checked answers wrong: ${s.check.failures.join('; ')}\n`)
  if (wrong.length > 0) process.exit(1)
}

// Run only as the entry point, so the smoke test can import parseOptions and summaryTable.
if (import.meta.url === new URL(process.argv[1] ?? '', 'file://').href) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`)
    process.exit(1)
  })
}
