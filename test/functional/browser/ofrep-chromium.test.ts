// Issue 13 end to end in a real browser: headless Chromium loads a page from another origin than the
// service's, bundled here with esbuild from the published @openfeature/web-sdk and
// @openfeature/ofrep-web-provider (page/app.ts), and calls the service over real Redis with a Bearer
// token, through CORS. What the page sees is checked in the page; what the browser sent is checked in
// the service's access log, which records every request it answered (method, path, status).

import { once } from 'node:events'
import { createServer as createHttpServer, type Server } from 'node:http'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { pino } from 'pino'
import type { Browser, Page } from 'playwright-core'
import t from 'tap'
import { createServer } from '../../../src/app.js'
import { loadConfig } from '../../../src/config/config.js'
import { Drain } from '../../../src/http/drain.js'
import { Metrics } from '../../../src/observability/metrics.js'
import { readinessProbe } from '../../../src/store/readiness.js'
import { launchChromium } from '../../helpers/chromium.js'
import { quiet, startRedisPair } from '../../helpers/in-process.js'
import type { Evaluation, Failure, Fetched, page as PageApi } from './page/app.js'

const BULK = '/ofrep/v1/evaluate/flags'

/** Serve the page and its bundle on 127.0.0.1, port 0: one origin. */
async function pageServer (bundle: string): Promise<{ origin: string, server: Server }> {
  const html = '<!doctype html><html><head><meta charset="utf-8"><title>tideflags page</title><script src="/app.js"></script></head><body></body></html>'
  const server = createHttpServer((req, res) => {
    if (req.url === '/app.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle)
    else if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(html)
    else res.writeHead(404).end()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { origin: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server }
}

const bundled = await build({
  entryPoints: [fileURLToPath(new URL('page/app.ts', import.meta.url))],
  bundle: true,
  write: false,
  format: 'iife',
  platform: 'browser',
  logLevel: 'silent',
})
const bundle = (bundled.outputFiles[0] as { text: string }).text
const allowed = await pageServer(bundle)
const stranger = await pageServer(bundle)

// The service, in-process over real Redis, allowing the first page's origin only.
const pair = await startRedisPair()
const access: { method: string, path: string, status: number }[] = []
const accessLog = pino({}, { write: (line: string) => { access.push(JSON.parse(line) as typeof access[number]) } })
const config = loadConfig({ ...pair.env, CORS_ORIGINS: allowed.origin })
const service = createServer(config, pair.store, quiet, { drain: new Drain(), metrics: new Metrics({ defaultMetrics: false }), probe: readinessProbe(pair.store), accessLog })
service.listen(0, '127.0.0.1')
await once(service, 'listening')
const SERVICE = `http://127.0.0.1:${(service.address() as { port: number }).port}`
const features = pair.features.client()

const browser: Browser = await launchChromium()
t.teardown(async () => {
  await browser.close()
  features.disconnect()
  service.closeAllConnections()
  service.close()
  allowed.server.close()
  stranger.server.close()
  await pair.stop()
})

/** A new tab on `origin`'s page, with the bundle loaded. */
async function open (origin: string): Promise<Page> {
  const tab = await browser.newPage()
  await tab.goto(origin + '/')
  return tab
}

type Api = typeof PageApi

/** Call the page's API (page/app.ts) in `tab`; arguments and results cross as JSON-like values. */
async function call<K extends keyof Api> (tab: Page, method: K, ...args: Parameters<Api[K]>): Promise<Awaited<ReturnType<Api[K]>>> {
  // Runs in the page: it can reach only what it is passed.
  return await tab.evaluate(([name, values]) => {
    const page = (globalThis as unknown as { tideflags: Record<string, (...a: unknown[]) => unknown> }).tideflags
    return (page[name] as (...a: unknown[]) => unknown)(...values)
  }, [method, args] as [string, unknown[]]) as Awaited<ReturnType<Api[K]>>
}

/** A fetch the page made; its failure fails the test with the page's error. */
function answered (result: Fetched | Failure): Fetched {
  if ('failed' in result) throw new Error(`the page's fetch failed: ${result.failed}`)
  return result
}

/** What the service answered since `from` on `path`, as "METHOD status". */
const seen = (from: number, path: string): string[] => access.slice(from).filter((line) => line.path === path).map((line) => `${line.method} ${line.status}`)

async function until (condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const tab = await open(allowed.origin)

t.test('on an allowed origin the stock web provider starts anonymously: global flags on, active ones off', async (t) => {
  t.plan(4)
  const from = access.length
  t.equal(await call(tab, 'start', 'anonymous', SERVICE, undefined, 0), undefined, 'the provider is ready')
  t.same(await call(tab, 'evaluate', 'anonymous', 'feature_1'), { value: true, reason: 'STATIC', errorCode: undefined, variant: 'on' } satisfies Evaluation)
  t.same(await call(tab, 'evaluate', 'anonymous', 'feature_3'), { value: false, reason: 'DISABLED', errorCode: undefined, variant: 'off' } satisfies Evaluation)
  t.same(seen(from, BULK), ['OPTIONS 204', 'POST 200'], 'the browser asked first (the JSON body needs a preflight), then sent the evaluation')
})

t.test('with a Bearer token the user\'s feature is on, and a change in Redis arrives with the provider\'s next fetch', async (t) => {
  t.plan(5)
  const from = access.length
  t.equal(await call(tab, 'start', 'user', SERVICE, '1234', 100), undefined, 'the provider is ready')
  t.match(await call(tab, 'evaluate', 'user', 'feature_3'), { value: true, reason: 'TARGETING_MATCH' })
  t.match(await call(tab, 'evaluate', 'user', 'feature_5'), { value: false, errorCode: 'FLAG_NOT_FOUND' })
  // The polls send If-None-Match with the ETag the provider could read (exposed by CORS): 304s.
  await until(() => seen(from, BULK).includes('POST 304'), 'a poll answered 304')
  await call(tab, 'watch', 'user')
  // One change, atomically: a poll between two writes would see feature_5 active but not the user's.
  await features.multi().sadd('active_features', 'feature_5').sadd('features:user:1', 'feature_5').exec()
  await call(tab, 'changed', 'user')
  t.match(await call(tab, 'evaluate', 'user', 'feature_5'), { value: true, reason: 'TARGETING_MATCH', variant: 'on' })
  t.ok(seen(from, BULK).lastIndexOf('POST 200') > seen(from, BULK).indexOf('POST 304'), 'the change came as a 200 after the 304s')
  await call(tab, 'close')
})

t.test('a plain fetch with Authorization gets the answer, and the browser revalidates its copy with If-None-Match', async (t) => {
  t.plan(6)
  const from = access.length
  const first = answered(await call(tab, 'fetchFeatures', SERVICE, '1234'))
  t.same(JSON.parse(first.body), { active_features: ['feature_1', 'feature_2', 'feature_3', 'feature_5'] })
  t.match(first.etag, /^"[\w-]+"$/, 'the page can read the ETag')
  const second = answered(await call(tab, 'fetchFeatures', SERVICE, '1234'))
  t.same(second, first, 'the page gets the same answer')
  // The browser kept the answer (private, no-cache) and asked with its ETag; the preflight's answer
  // was kept too (Access-Control-Max-Age), so it was not asked again.
  t.same(seen(from, '/features'), ['OPTIONS 204', 'GET 200', 'GET 304'])
  await features.srem('active_features', 'feature_5')
  const third = answered(await call(tab, 'fetchFeatures', SERVICE, '1234'))
  t.same(JSON.parse(third.body), { active_features: ['feature_1', 'feature_2', 'feature_3'] }, 'a change is never hidden by the copy')
  t.same(seen(from, '/features').slice(3), ['GET 200'])
})

t.test('the same page on an origin not allowed fails as a browser fails it: refused preflights, nothing sent, nothing read', async (t) => {
  t.plan(6)
  const strangerTab = await open(stranger.origin)
  const from = access.length
  const started = await call(strangerTab, 'start', 'stranger', SERVICE, '1234', 0)
  t.match(started, { failed: /<- TypeError: Failed to fetch$/ }, 'the provider could not start: the browser\'s own fetch failed')
  t.match(await call(strangerTab, 'evaluate', 'stranger', 'feature_1'), { value: false, reason: 'ERROR' }, 'flags give the app\'s default')
  t.same(await call(strangerTab, 'fetchFeatures', SERVICE, '1234'), { failed: 'TypeError: Failed to fetch' })
  t.same([...seen(from, BULK), ...seen(from, '/features')], ['OPTIONS 403', 'OPTIONS 403'], 'the service refused both preflights, and the browser sent no request after them')
  // Without a token a GET needs no preflight: the browser sends it and gets the answer, but keeps it
  // from the page, since it carries no CORS headers.
  const mark = access.length
  t.same(await call(strangerTab, 'fetchFeatures', SERVICE, undefined), { failed: 'TypeError: Failed to fetch' })
  t.same(seen(mark, '/features'), ['GET 200'])
  await strangerTab.close()
})
