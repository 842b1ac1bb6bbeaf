// The page of the browser test (test/functional/browser/ofrep-chromium.test.ts): a client app as a web
// developer would write it with the published OpenFeature web SDK and OFREP web provider, bundled by
// the test with esbuild and loaded from another origin than the service's. The test drives it through
// `globalThis.tideflags`. Written without DOM types: test/tsconfig.json type-checks it with node's.

import { OFREPWebProvider } from '@openfeature/ofrep-web-provider'
import { OpenFeature, ProviderEvents } from '@openfeature/web-sdk'

/** What a flag evaluation gave the app, in a form that crosses from the page to the test. */
export interface Evaluation {
  readonly value: boolean
  readonly reason: string | undefined
  readonly errorCode: string | undefined
  readonly variant: string | undefined
}

/** How a call failed in the page, when it did. */
export interface Failure {
  readonly failed: string
}

/** What a plain fetch gave the page. */
export interface Fetched {
  readonly status: number
  readonly body: string
  /** null when the browser withholds the header from scripts (not in Access-Control-Expose-Headers). */
  readonly etag: string | null
}

const changes = new Map<string, Promise<void>>()

// The error and its causes: the provider wraps the browser's own TypeError.
function describe (err: unknown): Failure {
  const parts: string[] = []
  for (let e: unknown = err; e !== undefined; e = e instanceof Error ? e.cause : undefined) {
    parts.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e))
  }
  return { failed: parts.join(' <- ') }
}

/** The page's API, as the test calls it. */
export const page = {
  /**
   * Start a provider for `domain` against the service, with a Bearer token or anonymously; resolves
   * once it is ready, or with the reason it could not start.
   */
  async start (domain: string, serviceUrl: string, token: string | undefined, pollInterval: number): Promise<Failure | undefined> {
    const provider = new OFREPWebProvider({
      baseUrl: serviceUrl,
      headers: token === undefined ? [] : [['Authorization', `Bearer ${token}`]],
      pollInterval,
      // Every evaluation from the network, never from the page's localStorage: what is tested is the service.
      cacheMode: 'disabled',
    })
    try {
      await OpenFeature.setProviderAndWait(domain, provider, { targetingKey: 'device-1' })
      return undefined
    } catch (err) {
      return describe(err)
    }
  },

  /** Evaluate a boolean flag with default false. */
  evaluate (domain: string, flag: string): Evaluation {
    const { value, reason, errorCode, variant } = OpenFeature.getClient(domain).getBooleanDetails(flag, false)
    return { value, reason, errorCode, variant }
  },

  /** Start listening for the provider's next ConfigurationChanged (before the data changes). */
  watch (domain: string): void {
    changes.set(domain, new Promise((resolve) => OpenFeature.getClient(domain).addHandler(ProviderEvents.ConfigurationChanged, () => resolve())))
  },

  /**
   * Resolves once the provider watched has seen a change (its next fetch after the data changed);
   * rejects after 10 s, so that a change that never arrives fails with a reason.
   */
  async changed (domain: string): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${domain}: no ConfigurationChanged within 10 s`)), 10_000) })
    try {
      await Promise.race([changes.get(domain), timeout])
    } finally {
      clearTimeout(timer)
    }
  },

  /** Close every provider, which stops their polling. */
  async close (): Promise<void> {
    await OpenFeature.close()
  },

  /** A plain fetch of /features, as a page without OpenFeature would make it. */
  async fetchFeatures (serviceUrl: string, token: string | undefined): Promise<Fetched | Failure> {
    try {
      const res = await fetch(`${serviceUrl}/features`, { headers: token === undefined ? {} : { Authorization: `Bearer ${token}` } })
      return { status: res.status, body: await res.text(), etag: res.headers.get('etag') }
    } catch (err) {
      return describe(err)
    }
  },
}

;(globalThis as unknown as { tideflags: typeof page }).tideflags = page
