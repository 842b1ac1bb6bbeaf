// The web console's static files, served by the admin listener at `/` (README "Backoffice"). They are
// read into memory once, at boot, with every header built then: a request is one Map lookup and never
// touches the disk. The files hold no data, so they need no sign-in; every data call the console makes
// goes to /admin/v1/* with the admin token. Every console response carries a strict
// Content-Security-Policy: the console is plain files from this origin, with no inline script or style,
// so a page that could be made to show a hostile string still cannot run it.

import { readdirSync, readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { etagOf, ifNoneMatch } from '../http/etag.js'
import type { Headers } from '../http/reply.js'
import type { Route } from '../http/router.js'

/**
 * Where `npm run build` puts the console: dist/console/ beside dist/admin/ (the bundle, the page, the
 * style sheet). Run from src/ (in-process tests) this is src/console/, which holds the page and the
 * style sheet but not the bundle; the browser tests run the built service.
 */
export const CONSOLE_DIR = fileURLToPath(new URL('../console/', import.meta.url))

/** The console's policy: only this origin's own files and API, no inline code, never framed. */
export const CONSOLE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/** The files served, by extension; any other file of the folder (sources, configs) is not. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
}

const SECURITY = {
  'content-security-policy': CONSOLE_CSP,
  // A browser must never guess a type: a file is only ever what its Content-Type says.
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}

/** One file, with its answers prepared. */
interface Asset {
  readonly body: Buffer
  readonly headers: Headers
  readonly etag: string
  /** The headers of a 304: the validators and the policy, no body. */
  readonly notModified: Headers
}

/**
 * The console's routes: `/` for index.html, `/<name>` for every other served file of `dir` (flat).
 * Names are not content-hashed, so each answer is `no-cache` with a strong ETag: the browser keeps the
 * file and revalidates it (304), and an upgrade is picked up on the next load.
 * @throws Error when `dir` has no index.html: a build without its console must not start
 */
export function consoleRoutes (dir: string = CONSOLE_DIR): Route[] {
  const routes: Route[] = []
  let hasIndex = false
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const type = CONTENT_TYPES[extname(entry.name)]
    if (!entry.isFile() || type === undefined) continue
    const asset = load(join(dir, entry.name), type)
    const path = entry.name === 'index.html' ? '/' : `/${entry.name}`
    if (path === '/') hasIndex = true
    const serve = (req: IncomingMessage, res: ServerResponse): void => answer(req, res, asset)
    routes.push({ path, methods: { GET: serve, HEAD: serve } })
  }
  if (!hasIndex) throw new Error(`the web console is missing: no index.html in ${dir} (run npm run build)`)
  return routes
}

function load (file: string, type: string): Asset {
  const body = readFileSync(file)
  const etag = etagOf(body)
  const validators = { etag, 'cache-control': 'no-cache', ...SECURITY }
  return {
    body,
    etag,
    headers: { ...validators, 'content-type': type, 'content-length': body.length },
    notModified: validators,
  }
}

function answer (req: IncomingMessage, res: ServerResponse, asset: Asset): void {
  if (ifNoneMatch(req.headers['if-none-match'], asset.etag)) {
    res.writeHead(304, asset.notModified)
    res.end()
    return
  }
  res.writeHead(200, asset.headers)
  res.end(req.method === 'HEAD' ? undefined : asset.body)
}
