// GET/HEAD /features: the answer client apps ask for at launch.

import type { IncomingMessage, ServerResponse } from 'node:http'
import { answerFor, sendRevalidated } from '../http/answer.js'
import { contextOf, isError, type Locate } from '../http/identify.js'
import { requestToken } from '../http/auth.js'
import { HTTP_ERRORS } from '../errors.js'
import type { Replier } from '../http/reply.js'
import type { Route } from '../http/router.js'
import type { FeatureStore } from '../store/store.js'

/**
 * The /features route. Headers and caching policy: http/answer.ts.
 * @param locate the request's location (http/identify.ts locator), built once at boot
 */
export function featuresRoute (store: FeatureStore, replier: Replier, locate: Locate): Route {
  // Where the store can answer a token in one round trip (both roles on one instance and db), a
  // signed-in caller without a location takes it; everyone else goes by contextOf, then featuresFor.
  const oneTrip = store.featuresForToken
  async function get (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const token = requestToken(req)
    const location = locate(req)
    if (oneTrip !== undefined && typeof token === 'string' && location === undefined) {
      const found = await oneTrip(token)
      if (found === null) return replier.error(res, HTTP_ERRORS.TF_ERR_UNAUTHORIZED)
      return sendRevalidated(req, res, answerFor(found.features))
    }
    const who = await contextOf(token, store, location)
    if (isError(who)) return replier.error(res, who)
    sendRevalidated(req, res, answerFor(await store.featuresFor(who)))
  }
  return { path: '/features', methods: { GET: get, HEAD: get }, browser: true }
}
