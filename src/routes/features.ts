// GET/HEAD /features: the answer client apps ask for at launch.

import type { IncomingMessage, ServerResponse } from 'node:http'
import { answerFor, sendRevalidated } from '../http/answer.js'
import { identify, isError, type Locate } from '../http/identify.js'
import type { Replier } from '../http/reply.js'
import type { Route } from '../http/router.js'
import type { FeatureStore } from '../store/store.js'

/**
 * The /features route. Headers and caching policy: http/answer.ts.
 * @param locate the request's location (http/identify.ts locator), built once at boot
 */
export function featuresRoute (store: FeatureStore, replier: Replier, locate: Locate): Route {
  async function get (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const who = await identify(req, store, locate(req))
    if (isError(who)) return replier.error(res, who)
    sendRevalidated(req, res, answerFor(await store.featuresFor(who)))
  }
  return { path: '/features', methods: { GET: get, HEAD: get }, browser: true }
}
