// Keeps bench/ from rotting: runs the whole harness in quick mode (a fraction of a second of load per
// scenario) as `npm run bench` would, and checks it finished with every sampled answer right; then the
// paths the default quick run leaves out (conn-per-request under wrk, the seed target). No timing assertions.

import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { hasWrk, runWrk } from '../../../bench/generators/wrk.js'
import { seedAvailable } from '../../../bench/seed.js'
import { runBenchScript, type ScriptRun } from '../../helpers/bench-script.js'

// Run `bench/run.ts <args>` and collect its output.
const bench = async (args: readonly string[]): Promise<ScriptRun> => await runBenchScript('run.ts', args)

// The table's rows of one target, as {scenario, conns, timeouts} read from its columns.
function rowsOf (stdout: string, target: string): Array<{ scenario: string, conns: number, cells: string[] }> {
  return stdout.split('\n')
    .map((line) => line.split('|').map((cell) => cell.trim()))
    .filter((cells) => cells[2] === target)
    .map((cells) => ({ scenario: cells[1] as string, conns: Number(cells[3]), cells }))
}

t.test('the benchmark harness runs every scenario autocannon can drive in quick mode and checks the answers it samples', async (t) => {
  const { code, stdout, stderr } = await bench(['--quick', '--no-save'])
  t.equal(code, 0, `exit code 0 (stderr: ${stderr.slice(-2000)})`)
  t.match(stdout, /\| scenario +\| target/, 'prints the table')
  const rows = rowsOf(stdout, 'service')
  t.same(rows.map((r) => r.scenario), ['anonymous', 'bearer', 'basic', 'unknown', 'mix', 'targeting', 'same-instance', 'c1000', 'c5000'],
    'one service row per scenario; conn-per-request needs wrk')
  // --quick caps c1000 and c5000 at 16 connections; the override itself still applies.
  t.same(rows.map((r) => r.conns), [4, 4, 4, 4, 4, 4, 4, 16, 16], 'c1000 and c5000 run with their own (capped) connection count')
  t.notMatch(stderr, /wrong [1-9]/, 'no wrong answer in any round')
  t.match(stderr, /same-instance round 1: .*checked [1-9]\d*, wrong 0/, 'the same-instance service answered checked requests right')
  const ceiling = rowsOf(stdout, 'ceiling')
  t.same(ceiling.map((r) => r.scenario), ['anonymous', 'bearer', 'same-instance'], 'a ceiling row for the scenarios it implements')
  t.ok(ceiling.every((r) => /^\d[\d.]*%/.test(r.cells[14] ?? '')), 'each ceiling row gives service / ceiling as a share')
})

t.test('--no-ceiling leaves the ceiling target out', async (t) => {
  const { code, stdout } = await bench(['--quick', '--no-save', '--no-ceiling', '--scenarios', 'anonymous'])
  t.equal(code, 0)
  t.same(rowsOf(stdout, 'ceiling'), [], 'no ceiling row')
  t.match(stdout, /ceiling target off/)
})

t.test('--sched-policy none reaches the service: the harness refuses a run whose service says another policy', async (t) => {
  // Until this was checked, the flag set only node's NODE_CLUSTER_SCHED_POLICY, which the service's
  // primary overrides with CLUSTER_SCHEDULING: "none" runs measured the service under rr.
  const { code, stdout, stderr } = await bench(['--quick', '--no-save', '--no-ceiling', '--scenarios', 'anonymous', '--sched-policy', 'none'])
  t.equal(code, 0, `exit code 0 (stderr: ${stderr.slice(-2000)})`)
  t.match(stdout, /cluster scheduling none/)
})

t.test('the conn-per-request scenario is refused under autocannon, which cannot open a connection per request', async (t) => {
  const refused = await bench(['--quick', '--no-save', '--scenarios', 'conn-per-request'])
  t.equal(refused.code, 2, 'a usage error')
  t.match(refused.stderr, /needs --generator wrk/)
})

t.test('wrk with closeEach opens one connection per request, and keeps them alive without it', { skip: hasWrk() ? false : 'wrk is not on PATH' }, async (t) => {
  let connections = 0
  let requests = 0
  const server = createServer((_req, res) => { requests++; res.end('{}') })
  server.on('connection', () => { connections++ })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/features`
  const calls = [{ authorization: 'Bearer a', caller: 0 }, { authorization: undefined, caller: 'anonymous' as const }]
  for (const closeEach of [true, false]) {
    connections = 0
    requests = 0
    const result = await runWrk({ url, connections: 2, durationS: 1, calls, closeEach })
    t.ok(result.requests > 10, `closeEach ${closeEach}: requests answered`)
    if (closeEach) t.ok(connections >= requests - 2, `a connection per request (${connections} connections, ${requests} requests)`)
    // wrk may open one more (a late reconnect of the previous run can land after the reset).
    else t.ok(connections <= 4 && requests > 50 * connections, `keep-alive: ${connections} connections for ${requests} requests`)
    t.equal(result.timeouts, 0)
    t.ok(result.maxLatency >= result.p99, 'the max latency is read, at least the p99')
  }
})

t.test('the conn-per-request scenario runs end to end under wrk', { skip: hasWrk() ? false : 'wrk is not on PATH' }, async (t) => {
  const { code, stdout, stderr } = await bench(['--quick', '--no-save', '--generator', 'wrk', '--scenarios', 'conn-per-request'])
  t.equal(code, 0, `exit code 0 (stderr: ${stderr.slice(-2000)})`)
  t.same(rowsOf(stdout, 'service').map((r) => r.scenario), ['conn-per-request'])
  t.match(stderr, /conn-per-request round 1: .*checked [1-9]\d*, wrong 0/, 'checked answers, none wrong')
})

t.test('the seed target runs next to the service when asked for, or is skipped with one line without gunicorn', async (t) => {
  const { code, stdout, stderr } = await bench(['--quick', '--no-save', '--seed', '--scenarios', 'anonymous,bearer,basic'])
  t.equal(code, 0, `exit code 0 (stderr: ${stderr.slice(-2000)})`)
  const seed = rowsOf(stdout, 'seed')
  const available = seedAvailable()
  if (available.ok) {
    t.same(seed.map((r) => r.scenario), ['anonymous', 'bearer'], 'a seed row for anonymous and bearer only')
    t.ok(seed.every((r) => /x$/.test(r.cells[14] ?? '')), 'each seed row gives the service/seed ratio')
  } else {
    // Either reason: no gunicorn, or no original app beside the repository (a clean CI clone).
    t.same(seed, [], 'no seed row')
    t.ok(stderr.includes(`seed target skipped: ${available.why}`), `one line says why: ${available.why}`)
  }
})
