// `npm run bench`: parse the knobs, run the benchmark, print the table, save the JSON.
// Exit code 1 when any checked answer was wrong: a fast wrong answer is a failure.

import { mkdirSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { DEFAULT_OPTIONS, runBench, stopAll, type BenchOptions, type BenchReport } from './harness.js'
import { hasWrk } from './generators/wrk.js'
import { SCENARIO_NAMES, type ScenarioName } from './scenarios.js'
import { formatSpread, spread, table } from './stats.js'

// --quick: about a second of load in all, for `npm test`; figures from it mean nothing.
const QUICK: Partial<BenchOptions> = { users: 2_000, workers: 1, connections: 4, rounds: 1, durationS: 0.1, warmupS: 0.05, checkIntervalMs: 1 }

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
      'check-interval': { type: 'string' },
      quick: { type: 'boolean' },
      'no-save': { type: 'boolean' },
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
  const scenarios = values.scenarios === undefined ? base.scenarios : values.scenarios.split(',')
  for (const s of scenarios) {
    if (!(SCENARIO_NAMES as readonly string[]).includes(s)) throw new Error(`--scenarios: unknown ${JSON.stringify(s)} (have ${SCENARIO_NAMES.join(', ')})`)
  }
  return {
    generator,
    scenarios: scenarios as ScenarioName[],
    users: Math.floor(num('users', values.users, base.users, 1)),
    workers: Math.floor(num('workers', values.workers, base.workers, 1)),
    connections: Math.floor(num('connections', values.connections, base.connections, 1)),
    durationS: num('duration', values.duration, base.durationS, 0.05),
    warmupS: num('warmup', values.warmup, base.warmupS, 0.05),
    rounds: Math.floor(num('rounds', values.rounds, base.rounds, 1)),
    cacheEntries: Math.floor(num('cache-entries', values['cache-entries'], base.cacheEntries, 0)),
    serviceNodeOptions: values['service-node-options'] ?? base.serviceNodeOptions,
    checkIntervalMs: num('check-interval', values['check-interval'], base.checkIntervalMs, 0),
    progress: (line) => process.stderr.write(line + '\n'),
    save: values['no-save'] !== true,
  }
}

/** The summary table: medians (min-max) over the rounds; ratio paired per round. */
export function summaryTable (report: BenchReport): string {
  const rows: string[][] = []
  for (const s of report.scenarios) {
    for (const [target, samples] of [['baseline', s.baseline], ['service', s.service]] as const) {
      const ratios = target === 'service' ? samples.map((x, i) => x.rps / (s.baseline[i]?.rps ?? Number.NaN) * 100) : []
      rows.push([
        s.name,
        target,
        formatSpread(spread(samples.map((x) => x.rps))),
        formatSpread(spread(samples.map((x) => x.p50)), 2),
        formatSpread(spread(samples.map((x) => x.p99)), 2),
        formatSpread(spread(samples.map((x) => x.p999)), 2),
        String(samples.reduce((n, x) => n + x.errors, 0)),
        String(samples.reduce((n, x) => n + x.non2xx, 0)),
        formatSpread(spread(samples.map((x) => x.generatorCpu * 100)), 0, '%'),
        target === 'service' ? formatSpread(spread(ratios), 1, '%') : '',
        target === 'service' ? `${s.check.checked - s.check.failed}/${s.check.checked}` : '',
        target === 'service' ? Math.max(...s.serviceRssMb).toFixed(0) : '',
      ])
    }
  }
  return table(['scenario', 'target', 'req/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'errors', 'non-2xx', 'gen CPU', 'vs baseline', 'checked ok', 'RSS MB'], rows)
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
    `${o.serviceNodeOptions === '' ? '' : `service NODE_OPTIONS ${o.serviceNodeOptions}, `}baseline body ${report.bodyBytes} B\n\n${summaryTable(report)}\n`)
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
