// `npx tsx bench/profile-summary.ts <dir> [top]`: the functions with the most self time in the V8 CPU
// profiles (`.cpuprofile`) of a directory, merged, as a markdown table. Take them with
// `npm run bench -- --scenarios bearer --service-exec-argv "--cpu-prof --cpu-prof-dir=<dir>"`: the
// service's primary passes the flags on to its workers, and each process writes a profile when it
// exits. Profiles with almost no samples (the primary, which only forks and relays) are left out.

import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'

interface ProfileNode {
  readonly callFrame: { readonly functionName: string, readonly url: string, readonly lineNumber: number }
  readonly hitCount?: number
}

const dir = process.argv[2]
if (dir === undefined) throw new Error('usage: npx tsx bench/profile-summary.ts <dir of .cpuprofile files> [top]')
const top = Number(process.argv[3] ?? 15)
const selfHits = new Map<string, number>()
let total = 0
let files = 0
for (const name of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
  const { nodes } = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { nodes: ProfileNode[] }
  const busy = nodes.filter((n) => n.callFrame.functionName !== '(idle)')
  const hits = busy.reduce((sum, n) => sum + (n.hitCount ?? 0), 0)
  if (hits < 1_000) continue
  files++
  total += hits
  for (const { callFrame: { functionName, url, lineNumber }, hitCount = 0 } of busy) {
    const where = url === '' ? '' : ` ${url.startsWith('file://') ? relative(process.cwd(), new URL(url).pathname) : url}:${lineNumber + 1}`
    const key = `${functionName === '' ? '(anonymous)' : functionName}${where}`
    selfHits.set(key, (selfHits.get(key) ?? 0) + hitCount)
  }
}
console.log(`${files} worker profiles, ${total} samples (idle left out)\n`)
console.log('| self time | function |\n|---|---|')
for (const [key, hits] of [...selfHits].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`| ${(hits / total * 100).toFixed(1)}% | \`${key}\` |`)
}
