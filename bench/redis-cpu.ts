// `npx tsx bench/redis-cpu.ts [--topology single,cluster,...] [--scenario bearer] [--seconds 8]`:
// Redis CPU per request on each topology, per node. The throughput benchmark measures the service,
// which is the limit on this machine; this measures what each Redis node spends per request, which
// sets how many requests one node (one core: Redis runs commands on one thread) can take, and so the
// shard count for a request rate (docs/scaling.md). INFO's used_cpu_user + used_cpu_sys of each node
// the service reads from, before and after a load run, divided by the requests answered.

import { parseArgs } from 'node:util'
import { Redis } from 'ioredis'
import { startService, type Service } from '../test/helpers/service.js'
import { parseInfo } from '../test/helpers/redis-topology.js'
import { generateData, loadData, DEFAULT_DATA } from './data.js'
import { runAutocannon } from './generators/autocannon.js'
import { buildScenario, SCENARIO_NAMES, type ScenarioName } from './scenarios.js'
import { startTopology, TOPOLOGIES, type RedisUnderTest, type Topology } from './topology.js'

const { values } = parseArgs({ options: { topology: { type: 'string' }, scenario: { type: 'string' }, seconds: { type: 'string' }, users: { type: 'string' } } })
const topologies = (values.topology ?? 'single,sentinel,cluster,split').split(',') as Topology[]
const scenarioName = (values.scenario ?? 'bearer') as ScenarioName
const seconds = Number(values.seconds ?? 8)
const users = Number(values.users ?? 20_000)
for (const t of topologies) if (!(TOPOLOGIES as readonly string[]).includes(t)) throw new Error(`--topology: unknown ${t}`)
if (!(SCENARIO_NAMES as readonly string[]).includes(scenarioName)) throw new Error(`--scenario: unknown ${scenarioName}`)

/** CPU seconds (user + sys) a Redis node has used so far. */
async function cpuSeconds (port: number): Promise<number> {
  const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 })
  try {
    const info = parseInfo(await client.info('cpu'))
    return Number(info.get('used_cpu_user')) + Number(info.get('used_cpu_sys'))
  } finally {
    client.disconnect()
  }
}

const data = generateData({ ...DEFAULT_DATA, users })
const scenario = buildScenario(scenarioName, data)
const rows: string[] = []
for (const topology of topologies) {
  let redis: RedisUnderTest | undefined
  let service: Service | undefined
  try {
    redis = await startTopology(topology)
    const [u, f] = [redis.users(), redis.features()]
    await loadData(data, u, f)
    u.disconnect()
    f.disconnect()
    service = await startService({ REDIS_USERS_URL: redis.usersUrl, REDIS_FEATURES_URL: redis.featuresUrl })
    const url = `${service.url}/features`
    await runAutocannon({ url, connections: 50, durationS: 2, calls: scenario.calls }) // warm-up
    const ports = await redis.dataPorts()
    const before = await Promise.all(ports.map(cpuSeconds))
    const run = await runAutocannon({ url, connections: 50, durationS: seconds, calls: scenario.calls })
    const after = await Promise.all(ports.map(cpuSeconds))
    const perNode = ports.map((port, i) => ({ port, us: ((after[i] as number) - (before[i] as number)) * 1e6 / run.requests }))
    const hottest = Math.max(...perNode.map((n) => n.us))
    rows.push(`| ${topology} | ${run.rps.toFixed(0)} | ${perNode.map((n) => n.us.toFixed(1)).join(' / ')} | ${perNode.reduce((a, n) => a + n.us, 0).toFixed(1)} | ${(1e6 / hottest).toFixed(0)} |`)
    process.stderr.write(`${topology}: ${run.rps.toFixed(0)} req/s, Redis CPU µs per request per node ${perNode.map((n) => `${n.port}: ${n.us.toFixed(1)}`).join(', ')}\n`)
  } finally {
    await service?.stop()
    await redis?.stop()
  }
}
console.log(`Redis CPU per ${scenarioName} request, ${users} users, ${seconds} s of autocannon at 50 connections, ${new Date().toISOString()}\n`)
console.log('| topology | service req/s | Redis CPU µs per request, per node read from | all nodes | req/s at which the busiest node uses one core |')
console.log('|---|---|---|---|---|')
for (const row of rows) console.log(row)
