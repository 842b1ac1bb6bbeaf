// GET/HEAD /features: the answer client apps ask for at launch.

import type { IncomingMessage, ServerResponse } from 'node:http'
import { readToken } from './auth.js'
import { HTTP_ERRORS } from './errors.js'
import { etagOf, ifNoneMatch } from './etag.js'
import type { Replier } from './reply.js'
import type { Route } from './router.js'
import type { FeatureStore } from './store/index.js'

/**
 * The /features route.
 * Responses vary by caller, so they are `private`; `no-cache` lets clients keep a copy but
 * revalidate it every time (If-None-Match -> 304), which keeps the freshness promise.
 */
export function featuresRoute (store: FeatureStore, replier: Replier): Route {
  async function get (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const token = readToken(req.headers.authorization)
    let userId: string | null = null
    if (token !== null) {
      if (typeof token !== 'string') return replier.error(res, token)
      userId = await store.userIdForToken(token)
      if (userId === null) return replier.error(res, HTTP_ERRORS.TF_ERR_UNAUTHORIZED)
    }
    const features = await store.featuresFor(userId)
    const body = Buffer.from(JSON.stringify({ active_features: features }))
    const etag = etagOf(body)
    if (ifNoneMatch(req.headers['if-none-match'], etag)) {
      res.writeHead(304, { etag, 'cache-control': 'private, no-cache', vary: 'Authorization' })
      res.end()
      return
    }
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': body.length,
      etag,
      'cache-control': 'private, no-cache',
      vary: 'Authorization',
    })
    res.end(req.method === 'HEAD' ? undefined : body)
  }
  return { path: '/features', methods: { GET: get, HEAD: get } }
}
