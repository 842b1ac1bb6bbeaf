// Runs one of bench/'s scripts in a child process, as an engineer would (`node --import tsx bench/x.ts`),
// for the tests that keep the benchmark tools from rotting.

import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** What a script printed, and how it exited. */
export interface ScriptRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Run `bench/<script>` with `args` from the repository root. */
export async function runBenchScript (script: string, args: readonly string[]): Promise<ScriptRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', `bench/${script}`, ...args], {
    cwd: ROOT,
    // Coverage of the tools is not the point; keep their child processes out of the report. tap
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
  return { code, stdout, stderr }
}
