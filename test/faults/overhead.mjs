// A/B throughput of two builds of the service, to check that operations code (metrics, drain check,
// access-log hook) costs nothing measurable on the hot path.
//   node test/faults/overhead.mjs <baseline dist/main.js> <candidate dist/main.js> [rounds]
// One worker each, real Redis (README example data), Bearer requests, autocannon 50 connections.
// Rounds alternate A and B so drift on a shared machine hits both; each round warms up 3 s (thrown
// away) then measures 8 s. Prints per-round req/s and the worker's CPU time per request (from
// /proc: user+system ticks), then median and spread of each and the differences. On a shared machine
// req/s swings with other load; CPU per request is the steadier figure.

import { spawn, execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import autocannon from 'autocannon'

const [baseline, candidate, roundsArg] = process.argv.slice(2)
if (baseline === undefined || candidate === undefined) {
  console.error('usage: node test/faults/overhead.mjs <baseline main.js> <candidate main.js> [rounds]')
  process.exit(2)
}
const rounds = Number(roundsArg ?? '5')

async function freePort () {
  const s = createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => s.once('listening', resolve))
  const { port } = s.address()
  await new Promise((resolve) => s.close(resolve))
  return port
}

const redisPort = await freePort()
const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
await sleep(300)
const cli = (...args) => execFileSync('redis-cli', ['-p', String(redisPort), ...args])
cli('SET', 'token:1234', '1')
cli('SADD', 'global_features', 'feature_1', 'feature_2')
cli('SADD', 'active_features', 'feature_3')
cli('SADD', 'features:user:1', 'feature_3', 'feature_4')
const url = `redis://127.0.0.1:${redisPort}`

// user + system CPU of a process, in clock ticks (1/100 s on Linux)
function cpuTicks (pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11]) + Number(fields[12])
}

async function measure (main) {
  const port = await freePort()
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', WORKERS: '1', LOG_LEVEL: 'warn', REDIS_USERS_URL: url, REDIS_FEATURES_URL: url },
    stdio: 'ignore',
  })
  for (let i = 0; i < 100; i++) {
    try { await fetch(`http://127.0.0.1:${port}/features`); break } catch { await sleep(50) }
  }
  const opts = { url: `http://127.0.0.1:${port}/features`, connections: 50, headers: { authorization: 'Bearer 1234' } }
  await autocannon({ ...opts, duration: 3 })
  const worker = Number(execFileSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' }).trim().split('\n')[0])
  const before = cpuTicks(worker)
  const r = await autocannon({ ...opts, duration: 8 })
  const usPerReq = (cpuTicks(worker) - before) * 10_000 / r.requests.total
  child.kill('SIGTERM')
  await new Promise((resolve) => child.once('exit', resolve))
  return { rps: r.requests.average, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors, usPerReq }
}

const results = { A: [], B: [] }
const cpu = { A: [], B: [] }
for (let i = 0; i < rounds; i++) {
  for (const [name, main] of i % 2 === 0 ? [['A', baseline], ['B', candidate]] : [['B', candidate], ['A', baseline]]) {
    const r = await measure(main)
    results[name].push(r.rps)
    cpu[name].push(r.usPerReq)
    console.log(`round ${i + 1} ${name}: ${Math.round(r.rps)} req/s, worker CPU ${r.usPerReq.toFixed(1)} µs/req, p99 ${r.p99} ms, non2xx ${r.non2xx}, errors ${r.errors}`)
  }
}
redis.kill('SIGKILL')
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
for (const name of ['A', 'B']) {
  const xs = results[name]
  const cs = cpu[name]
  console.log(`${name}: median ${Math.round(median(xs))} req/s (min ${Math.round(Math.min(...xs))}, max ${Math.round(Math.max(...xs))}); ` +
    `worker CPU median ${median(cs).toFixed(1)} µs/req (min ${Math.min(...cs).toFixed(1)}, max ${Math.max(...cs).toFixed(1)})`)
}
console.log(`B vs A (median req/s): ${((median(results.B) / median(results.A) - 1) * 100).toFixed(1)} %`)
console.log(`B vs A (median CPU per request): ${((median(cpu.B) / median(cpu.A) - 1) * 100).toFixed(1)} %`)
