// Keeps bench/memory.ts from rotting: a small run (500 users) against real redis-server processes, both
// passes, checked for shape and for figures that add up. The sizes themselves are not asserted: they
// depend on the Redis version and allocator, which is what the script is for.

import t from 'tap'
import { runBenchScript, type ScriptRun } from '../../helpers/bench-script.js'

const memory = async (args: readonly string[]): Promise<ScriptRun> => await runBenchScript('memory.ts', args)

/** Cells of the table rows whose first cells are `first`. */
function row (stdout: string, ...first: string[]): string[] | undefined {
  return stdout.split('\n')
    .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()))
    .find((cells) => first.every((f, i) => cells[i] === f))
}

const n = (cell: string | undefined): number => Number((cell ?? '').replace(/,/g, ''))

t.test('bench/memory.ts measures both passes and extrapolates, labelled as such', async (t) => {
  const { code, stdout, stderr } = await memory(['--users', '500', '--sample', '50', '--no-save'])
  t.equal(code, 0, `exit code 0 (stderr: ${stderr.slice(-2000)})`)
  for (const mode of ['standalone', 'cluster']) {
    for (const key of ['token:<token>', 'features:user:<id>']) {
      const cells = row(stdout, mode, key)
      t.ok(cells !== undefined && n(cells[2]) === 50 && n(cells[3]) > 0, `${mode} ${key}: 50 keys sampled, a positive mean`)
      t.match(cells?.[7] ?? '', /^\w+ 50$/, `${mode} ${key}: one encoding for all 50`)
    }
  }
  // The per-user table is the only one whose standalone row has six cells.
  const perUser = stdout.split('\n').find((line) => line.startsWith('| standalone ') && line.split('|').length === 8)
  const cells = perUser?.split('|').slice(1, -1).map((c) => c.trim()) ?? []
  t.ok(n(cells[3]) > 0 && n(cells[4]) > 0, 'the standalone pass splits a positive cost between tokens and features')
  t.ok(Math.abs(n(cells[3]) + n(cells[4]) - n(cells[5])) <= 0.2, 'tokens + features = both (rounding aside)')
  t.match(stdout, /EXTRAPOLATION \(linear in users; measured at 500 users, redis [\d.]+\)/, 'the extrapolation says what it rests on')
  t.match(stdout, /25\.0 GiB usable per primary of a 32\.0 GiB node/, 'and the shard assumption')
  for (const mode of ['standalone', 'cluster']) {
    const tokens = row(stdout, mode, 'tokens Redis')
    const features = row(stdout, mode, 'features Redis')
    const together = row(stdout, mode, 'together')
    t.ok(tokens !== undefined && features !== undefined && together !== undefined, `${mode}: three extrapolation rows`)
    t.ok(Math.abs(n(tokens?.[2]) + n(features?.[2]) - n(together?.[2])) <= 0.2, `${mode}: together = tokens + features`)
  }
})

t.test('bench/memory.ts refuses a usable memory larger than the node', async (t) => {
  const { code, stderr } = await memory(['--shard-usable-gib', '40', '--shard-node-gib', '32'])
  t.equal(code, 2, 'a usage error')
  t.match(stderr, /--shard-usable-gib \(40\) is more than --shard-node-gib \(32\)/)
})
