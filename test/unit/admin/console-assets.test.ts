// The web console's static files over real HTTP: what is served and with which headers, what is not,
// and that files are read once, at boot.

import { once } from 'node:events'
import { createServer } from 'node:http'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { CONSOLE_CSP, CONSOLE_DIR, consoleRoutes } from '../../../src/admin/console-assets.js'
import { etagOf } from '../../../src/http/etag.js'
import { Replier } from '../../../src/http/reply.js'
import { createRouter } from '../../../src/http/router.js'
import { quiet } from '../../helpers/in-process.js'

const FILES: Record<string, string> = {
  'index.html': '<!doctype html><title>console</title>',
  'app.js': 'console.log("app")',
  'style.css': 'body { color: black }',
  'icon.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
  'shot.png': '\x89PNG fake',
  // Not served: sources and configs that may sit beside the built files.
  'main.ts': 'export {}',
  'tsconfig.json': '{}',
}

const dir = mkdtempSync(join(tmpdir(), 'tideflags-console-'))
for (const [name, text] of Object.entries(FILES)) writeFileSync(join(dir, name), text)
mkdirSync(join(dir, 'nested'))
writeFileSync(join(dir, 'nested', 'deep.js'), 'no')

const server = createServer(createRouter(consoleRoutes(dir), new Replier({ retryAfterSeconds: 1 }, quiet)))
t.before(async () => {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
})
t.teardown(() => {
  server.close()
  rmSync(dir, { recursive: true, force: true })
})
const url = (path: string): string => `http://127.0.0.1:${(server.address() as { port: number }).port}${path}`

const SECURITY = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}

t.test('the policy is the strict one: this origin only, no inline code, no base, no form posts, never framed', async (t) => {
  t.plan(1)
  t.equal(CONSOLE_CSP, SECURITY['content-security-policy'])
})

t.test('each file is served at its name (index.html at /) with its content type, a strong ETag and the security headers', async (t) => {
  const expected: [string, string, string][] = [
    ['/', 'index.html', 'text/html; charset=utf-8'],
    ['/app.js', 'app.js', 'text/javascript; charset=utf-8'],
    ['/style.css', 'style.css', 'text/css; charset=utf-8'],
    ['/icon.svg', 'icon.svg', 'image/svg+xml'],
    ['/shot.png', 'shot.png', 'image/png'],
  ]
  t.plan(expected.length)
  for (const [path, file, type] of expected) {
    const res = await fetch(url(path))
    const body = Buffer.from(await res.arrayBuffer())
    const contents = Buffer.from(FILES[file] as string)
    t.same({
      status: res.status,
      body: body.toString('latin1'),
      type: res.headers.get('content-type'),
      length: res.headers.get('content-length'),
      etag: res.headers.get('etag'),
      cache: res.headers.get('cache-control'),
      csp: res.headers.get('content-security-policy'),
      nosniff: res.headers.get('x-content-type-options'),
      referrer: res.headers.get('referrer-policy'),
    }, {
      status: 200,
      body: contents.toString('latin1'),
      type,
      length: String(contents.length),
      etag: etagOf(contents),
      cache: 'no-cache',
      csp: SECURITY['content-security-policy'],
      nosniff: 'nosniff',
      referrer: 'no-referrer',
    }, path)
  }
})

t.test('paths with no served file are 404 from the error registry: other types, sub-folders, /index.html, unknown names', async (t) => {
  const paths = ['/main.ts', '/tsconfig.json', '/nested/deep.js', '/nested', '/index.html', '/missing.js', '/app.js/']
  t.plan(paths.length)
  for (const path of paths) {
    const res = await fetch(url(path))
    t.same([res.status, await res.json()], [404, { key: 'url_not_found_error', message: 'URL not found' }], path)
  }
})

t.test('a browser that has the file gets 304 with the validators and the policy, and no body', async (t) => {
  t.plan(6)
  const first = await fetch(url('/app.js'))
  const etag = first.headers.get('etag') as string
  await first.arrayBuffer()
  for (const tag of [etag, `W/${etag}`]) {
    const again = await fetch(url('/app.js'), { headers: { 'if-none-match': tag } })
    t.equal(again.status, 304, tag)
    t.same([again.headers.get('etag'), again.headers.get('content-security-policy')], [etag, SECURITY['content-security-policy']])
    t.equal((await again.arrayBuffer()).byteLength, 0)
  }
})

t.test('HEAD answers the headers of GET with no body; other methods are 405 with Allow', async (t) => {
  t.plan(4)
  const head = await fetch(url('/style.css'), { method: 'HEAD' })
  t.same([head.status, head.headers.get('content-length'), head.headers.get('content-type')], [200, String(FILES['style.css']?.length), 'text/css; charset=utf-8'])
  t.equal((await head.arrayBuffer()).byteLength, 0)
  const post = await fetch(url('/'), { method: 'POST' })
  t.equal(post.status, 405)
  t.equal(post.headers.get('allow'), 'GET, HEAD')
})

t.test('files are read at boot: a later change or removal on disk does not reach the answers', async (t) => {
  t.plan(2)
  const copy = mkdtempSync(join(tmpdir(), 'tideflags-console-'))
  t.teardown(() => rmSync(copy, { recursive: true, force: true }))
  writeFileSync(join(copy, 'index.html'), 'first')
  const routes = consoleRoutes(copy)
  const local = createServer(createRouter(routes, new Replier({ retryAfterSeconds: 1 }, quiet)))
  local.listen(0, '127.0.0.1')
  await once(local, 'listening')
  t.teardown(() => local.close())
  const at = `http://127.0.0.1:${(local.address() as { port: number }).port}/`
  writeFileSync(join(copy, 'index.html'), 'second')
  t.equal(await (await fetch(at)).text(), 'first')
  rmSync(join(copy, 'index.html'))
  t.equal(await (await fetch(at)).text(), 'first')
})

t.test('a folder without index.html is refused at boot, naming the folder', async (t) => {
  t.plan(1)
  const empty = mkdtempSync(join(tmpdir(), 'tideflags-console-'))
  t.teardown(() => rmSync(empty, { recursive: true, force: true }))
  writeFileSync(join(empty, 'app.js'), '')
  t.throws(() => consoleRoutes(empty), { message: `the web console is missing: no index.html in ${empty} (run npm run build)` })
})

t.test('by default the console folder beside the code is served: its page and style sheet, never its sources', async (t) => {
  t.plan(2)
  t.match(CONSOLE_DIR, /[/\\]console[/\\]$/)
  const paths = consoleRoutes().map((route) => route.path)
  t.ok(paths.includes('/') && paths.includes('/console.css') && !paths.some((p) => p.endsWith('.ts')), paths.join(' '))
})
