// GET/HEAD /features: the answer client apps ask for at launch.

import type { IncomingMessage, ServerResponse } from 'node:http'
import { requestToken } from '../http/auth.js'
import { HTTP_ERRORS } from '../errors.js'
import { answerFor } from '../http/answer.js'
import { ifNoneMatch } from '../http/etag.js'
import type { Replier } from '../http/reply.js'
import type { Route } from '../http/router.js'
import type { FeatureStore } from '../store/index.js'

/** The /features route. Headers and caching policy: src/answer.ts. */
export function featuresRoute (store: FeatureStore, replier: Replier): Route {
  async function get (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const token = requestToken(req)
    let userId: string | null = null
    if (token !== null) {
      if (typeof token !== 'string') return replier.error(res, token)
      userId = await store.userIdForToken(token)
      if (userId === null) return replier.error(res, HTTP_ERRORS.TF_ERR_UNAUTHORIZED)
    }
    const answer = answerFor(await store.featuresFor(userId))
    const ifNone = req.headers['if-none-match']
    if (ifNone !== undefined && ifNoneMatch(ifNone, answer.etag)) {
      res.writeHead(304, answer.headers304)
      res.end()
      return
    }
    res.writeHead(200, answer.headers200)
    res.end(req.method === 'HEAD' ? undefined : answer.body)
  }
  return { path: '/features', methods: { GET: get, HEAD: get } }
}
