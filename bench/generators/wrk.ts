// wrk as a second generator (one thread): written in C, it takes about half the CPU autocannon needs
// for the same load, which matters on a 2-core machine where the generator competes with the server.

import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Generator, LoadResult } from './load.js'

const SCRIPT = fileURLToPath(new URL('../wrk/features.lua', import.meta.url))

/** Whether wrk is on PATH. */
export function hasWrk (): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' })
    return true
  } catch (err) {
    // wrk --version exits 1 after printing its version: it is there.
    return (err as { status?: number }).status === 1
  }
}

/** Run wrk -t1 against a target. */
export const runWrk: Generator = async (options) => {
  const dir = mkdtempSync(join(tmpdir(), 'tideflags-wrk-'))
  try {
    const onlyAnonymous = options.calls.every((call) => call.authorization === undefined && call.location === undefined)
    let headersFile = ''
    if (!onlyAnonymous) {
      headersFile = join(dir, 'headers.txt')
      // One line per call: the Authorization value, then a tab and the location when there is one.
      writeFileSync(headersFile, options.calls.map((call) => (call.authorization ?? '') + (call.location === undefined ? '' : '\t' + call.location)).join('\n') + '\n')
    }
    // bash's `times` reports the CPU its children used: wrk's own share, measured by the kernel.
    // wrk takes whole seconds only (-d0.1s is a usage error): short runs last one second.
    const args = ['-t1', `-c${options.connections}`, `-d${Math.max(1, Math.round(options.durationS))}s`, '-s', SCRIPT, options.url]
    const child = spawn('bash', ['-c', 'wrk "$@" && times', 'wrk', ...args], {
      env: { ...process.env, TF_WRK_HEADERS: headersFile, TF_WRK_CLOSE: options.closeEach === true ? '1' : '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => { out += chunk })
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    return parseWrk(out, code)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Parse the TFJSON line and bash's `times` output. Exported for the smoke test. */
export function parseWrk (out: string, code: number | null): LoadResult {
  const line = out.split('\n').find((l) => l.startsWith('TFJSON '))
  if (code !== 0 || line === undefined) throw new Error(`wrk failed (exit ${code}):\n${out}`)
  const r = JSON.parse(line.slice(7)) as Record<string, number>
  const n = (key: string): number => r[key] ?? 0
  // `times`: shell user/sys on the first line, children's on the second: "0m1.234s 0m0.567s".
  const times = out.trim().split('\n').slice(-1)[0] ?? ''
  const seconds = [...times.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0)
  const durationS = n('durationUs') / 1e6
  return {
    requests: n('requests'),
    rps: n('requests') / durationS,
    p50: n('p50') / 1000,
    p99: n('p99') / 1000,
    p999: n('p999') / 1000,
    maxLatency: n('max') / 1000,
    timeouts: n('timeout'),
    errors: n('connect') + n('read') + n('write') + n('timeout'),
    // wrk counts statuses above 399; the service sends no 3xx without If-None-Match.
    non2xx: n('status'),
    generatorCpu: seconds / durationS,
  }
}
