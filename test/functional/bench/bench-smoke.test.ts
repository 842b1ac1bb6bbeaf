// Keeps bench/ from rotting: runs the whole harness in quick mode (about a second of load) as
// `npm run bench` would, and checks it finished with every sampled answer right. No timing assertions.

import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))

t.test('the benchmark harness runs every scenario in quick mode and checks the answers it samples', async (t) => {
  t.plan(4)
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--no-save'], {
    cwd: ROOT,
    // Coverage of the harness is not the point; keep its child processes out of the report. tap
    // records subprocess coverage itself (@tapjs/processinfo), so NODE_V8_COVERAGE alone does not:
    // its own switch does. Without it, the tsx-compiled copies of src/ files the harness loads were
    // merged into the report with other source maps, as uncovered duplicates of covered code.
    env: { ...process.env, NODE_V8_COVERAGE: '', _TAPJS_PROCESSINFO_COVERAGE_: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  t.equal(code, 0, `exit code 0 (stderr: ${stderr.slice(-2000)})`)
  t.match(stdout, /\| scenario +\| target/, 'prints the table')
  const rows = stdout.split('\n').filter((line) => / service +\|/.test(line))
  t.equal(rows.length, 6, 'one service row per scenario, targeting included')
  t.notMatch(stderr, /wrong [1-9]/, 'no wrong answer in any round')
})
