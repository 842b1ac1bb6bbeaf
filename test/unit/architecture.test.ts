// The import rules of README "Architecture", read off the real import graph of src/. A rule broken by a
// new import fails here with the importing file, the imported one and the rule's reason.

import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const SRC = fileURLToPath(new URL('../../src/', import.meta.url))

/** One import statement: the file it names (src-relative, or the bare package), and whether it loads code. */
interface Edge {
  readonly to: string
  /** false for `import type`/`export type`: erased by tsc, so it loads nothing at run time. */
  readonly runtime: boolean
  /** `import()`: loaded when that code runs, not with the importing module (main.ts picks a role so). */
  readonly dynamic?: true
}

function sourceFiles (dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path))
    else if (name.endsWith('.ts')) out.push(relative(SRC, path))
  }
  return out.sort()
}

// Static imports and re-exports (`import x from`, `import type`, `export { } from`, side-effect
// `import 'x'`) and dynamic `import('x')`.
const IMPORT = /^\s*(import|export)\s+(type\s+)?(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]/gm
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g

export function importsOf (file: string, text: string): Edge[] {
  const edges: Edge[] = []
  const add = (spec: string, runtime: boolean, dynamic: boolean): void => {
    const to = spec.startsWith('.') ? join(dirname(file), spec).replace(/\.js$/, '.ts') : spec
    edges.push(dynamic ? { to, runtime, dynamic } : { to, runtime })
  }
  for (const m of text.matchAll(IMPORT)) add(m[3] as string, m[2] === undefined, false)
  for (const m of text.matchAll(DYNAMIC)) add(m[1] as string, true, true)
  return edges
}

const files = sourceFiles(SRC)
const texts = new Map(files.map((f) => [f, readFileSync(join(SRC, f), 'utf8')]))
const graph = new Map(files.map((f) => [f, importsOf(f, texts.get(f) as string)]))

const layer = (file: string): string => file.includes('/') ? file.slice(0, file.indexOf('/')) : file
const local = (edges: readonly Edge[]): Edge[] => edges.filter((e) => files.includes(e.to))

function violations (rule: (from: string, to: string) => boolean): string[] {
  const out: string[] = []
  for (const [from, edges] of graph) for (const e of local(edges)) if (rule(from, e.to)) out.push(`${from} -> ${e.to}`)
  return out
}

t.test('every relative import names a file that exists in src/', async (t) => {
  const missing: string[] = []
  for (const [from, edges] of graph) {
    for (const e of edges) if (e.to.startsWith('.') || (!e.to.includes(':') && e.to.endsWith('.ts') && !files.includes(e.to))) missing.push(`${from} -> ${e.to}`)
  }
  t.same(missing, [])
  t.ok(graph.size > 20, 'the graph was read')
})

t.test('core/ imports nothing of the service but core/ itself, and no package', async (t) => {
  const bad: string[] = []
  for (const [from, edges] of graph) {
    if (layer(from) !== 'core') continue
    for (const e of edges) if (!e.to.startsWith('node:') && layer(e.to) !== 'core') bad.push(`${from} -> ${e.to}`)
  }
  t.same(bad, [], 'the rule is pure: no I/O, no HTTP, no store, no config')
})

t.test('errors.ts imports nothing of the service; config/ only errors.ts, core/ and location/', async (t) => {
  t.same(violations((from) => from === 'errors.ts'), [])
  // location/ parses TRUST_PROXY and checks the GEOIP file: config validates them with the very code that uses them.
  t.same(violations((from, to) => layer(from) === 'config' && !['config', 'core', 'location', 'errors.ts'].includes(layer(to))), [])
})

t.test('location/ imports only core/, location/ itself, node built-ins and mmdb-lib', async (t) => {
  const bad: string[] = []
  for (const [from, edges] of graph) {
    if (layer(from) !== 'location') continue
    for (const e of edges) if (!e.to.startsWith('node:') && e.to !== 'mmdb-lib' && !['core', 'location'].includes(layer(e.to))) bad.push(`${from} -> ${e.to}`)
  }
  t.same(bad, [], 'a subsystem below http/: it reads a request\'s headers and address, never the store or config')
  t.ok(graph.get('location/geoip.ts')?.some((e) => e.to === 'mmdb-lib'), 'the rule reads the real imports')
})

t.test('the store never imports HTTP, routes, the admin API, the app or process code', async (t) => {
  t.same(violations((from, to) => layer(from) === 'store' && ['http', 'routes', 'admin', 'app.ts', 'process', 'main.ts'].includes(layer(to))), [])
})

t.test('http/ and observability/ never import routes, the admin API, stores, the app or process code', async (t) => {
  const upper = ['routes', 'admin', 'store', 'app.ts', 'process', 'main.ts']
  t.same(violations((from, to) => ['http', 'observability'].includes(layer(from)) && upper.includes(layer(to))), [])
  t.same(violations((from, to) => layer(from) === 'observability' && layer(to) === 'http'), [], 'observability sits below http')
})

t.test('routes never import each other (a route may span files of its own folder)', async (t) => {
  const routeOf = (file: string): string => file.split('/').slice(0, 2).join('/').replace(/\.ts$/, '')
  t.same(violations((from, to) => layer(from) === 'routes' && layer(to) === 'routes' && routeOf(from) !== routeOf(to)), [])
  t.same(violations((from, to) => layer(from) === 'routes' && ['admin', 'app.ts', 'process', 'main.ts'].includes(layer(to))), [])
})

t.test('the admin API (admin/) sits beside the routes: it never imports them, the app or process code', async (t) => {
  t.same(violations((from, to) => layer(from) === 'admin' && ['routes', 'app.ts', 'process', 'main.ts', 'cli'].includes(layer(to))), [])
  t.ok(graph.get('process/worker.ts')?.some((e) => e.to === 'admin/admin-server.ts'), 'the worker starts it')
})

t.test('the CLI (cli/) is its own program: it imports only cli/, the tokens file format and node built-ins', async (t) => {
  const bad: string[] = []
  for (const [from, edges] of graph) {
    if (layer(from) !== 'cli') continue
    for (const e of edges) if (!e.to.startsWith('node:') && layer(e.to) !== 'cli' && e.to !== 'config/admin-tokens.ts') bad.push(`${from} -> ${e.to}`)
  }
  t.same(bad, [], 'it talks to the service over HTTP only, and shares the one format both sides must agree on')
  t.same(violations((from, to) => layer(from) !== 'cli' && layer(to) === 'cli'), [], 'nothing of the service loads the CLI')
})

t.test('the web console (console/) runs in the browser: at run time it imports only console/, and nothing imports it', async (t) => {
  const bad: string[] = []
  for (const [from, edges] of graph) {
    if (layer(from) !== 'console') continue
    for (const e of edges) {
      // Type-only imports of the admin API's answer shapes are erased by the bundler: the console is
      // type-checked against the service's own types but carries none of its code.
      const shapes = !e.runtime && (layer(e.to) === 'admin' || e.to === 'store/admin/admin-store.ts')
      if (layer(e.to) !== 'console' && !shapes) bad.push(`${from} -> ${e.to}`)
    }
  }
  t.same(bad, [], 'no node built-in, no package, no service code in the bundle')
  t.same(violations((from, to) => layer(from) !== 'console' && layer(to) === 'console'), [], 'the service serves the built files, it never loads them')
  t.ok(graph.get('console/types.ts')?.some((e) => !e.runtime && e.to === 'admin/feature-states.ts'), 'the rule reads the real imports')
})

/** Every file and package the given file loads with it at run time, transitively (`import()` aside). */
function runtimeClosure (start: string): Set<string> {
  const seen = new Set<string>()
  const queue = [start]
  while (queue.length > 0) {
    const file = queue.pop() as string
    if (seen.has(file)) continue
    seen.add(file)
    for (const e of graph.get(file) ?? []) if (e.runtime && e.dynamic === undefined) queue.push(e.to)
  }
  return seen
}

t.test("the primary's import closure holds no ioredis, no node:http, no store and no routes", async (t) => {
  // main.ts loads the primary's or the worker's code with import(), once it knows its role.
  t.same(graph.get('main.ts')?.filter((e) => e.dynamic === true).map((e) => e.to).sort(), ['process/primary.ts', 'process/worker.ts'])
  for (const entry of ['process/primary.ts', 'main.ts']) {
    const closure = [...runtimeClosure(entry)]
    t.ok(closure.length > 3, `${entry}: closure read`)
    t.same(closure.filter((f) => f === 'ioredis' || f === 'node:http' || f === 'http' || layer(f) === 'routes' || layer(f) === 'admin' || f === 'app.ts' ||
      f === 'store/index.ts' || f.startsWith('store/redis/')), [], `${entry} loads none of them`)
  }
})

t.test('nothing but config/ reads process.env, and the CLI\'s entry its own variables', async (t) => {
  // The CLI is a separate program with its own variables (TIDEFLAGS_ADMIN_URL, TIDEFLAGS_ADMIN_TOKEN):
  // its entry reads them, once, and hands them to run(); the service's config is never loaded there.
  const readers = files.filter((f) => layer(f) !== 'config' && f !== 'cli/main.ts' && /process\.env\b/.test(texts.get(f) as string))
  t.same(readers, [])
  t.match(texts.get('cli/main.ts'), /process\.env\.TIDEFLAGS_ADMIN_URL/, 'the exception is used as intended')
})

/** The import cycles of the graph (every import counts, type-only ones too), as paths. */
export function cycles (edges: ReadonlyMap<string, readonly Edge[]>): string[][] {
  const found: string[][] = []
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (file: string): void => {
    state.set(file, 'open')
    stack.push(file)
    for (const e of edges.get(file) ?? []) {
      if (!edges.has(e.to)) continue
      const s = state.get(e.to)
      if (s === 'open') found.push([...stack.slice(stack.indexOf(e.to)), e.to])
      else if (s === undefined) visit(e.to)
    }
    stack.pop()
    state.set(file, 'done')
  }
  for (const file of edges.keys()) if (!state.has(file)) visit(file)
  return found
}

t.test('no import cycles', async (t) => {
  t.same(cycles(graph).map((c) => c.join(' -> ')), [])
})

t.test('the cycle finder and the import reader see what they must (so the rules above cannot pass vacuously)', async (t) => {
  const g = new Map<string, Edge[]>([
    ['a.ts', [{ to: 'b.ts', runtime: true }]],
    ['b.ts', [{ to: 'a.ts', runtime: false }]],
    ['c.ts', []],
  ])
  t.same(cycles(g), [['a.ts', 'b.ts', 'a.ts']])
  const edges = importsOf('http/x.ts', "import type { A } from '../core/a.js'\nimport { b } from './b.js'\nexport { c } from 'pkg'\nconst d = await import('../store/d.js')\n")
  t.same(edges, [
    { to: 'core/a.ts', runtime: false },
    { to: 'http/b.ts', runtime: true },
    { to: 'pkg', runtime: true },
    { to: 'store/d.ts', runtime: true, dynamic: true },
  ])
})
