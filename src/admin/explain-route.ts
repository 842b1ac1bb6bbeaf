// POST /admin/v1/explain: what /features answers a caller, and why, feature by feature.
// Body: {"token": "<user token>"} or {"user": "<id>"}, and optionally "location" (a location name, as
// the edge would send it) and "at" (an instant, for schedules; default: the store's clock).
// A read: a `read` token may ask. The user token is used for the lookup only: never echoed, never logged.

import type { IncomingMessage, ServerResponse } from 'node:http'
import { caller } from '../core/context.js'
import { MAX_TOKEN_BYTES } from '../http/auth.js'
import type { Route } from '../http/router.js'
import type { AdminStore } from '../store/admin/admin-store.js'
import { guard, readJson, sendJson, type AdminRouting } from './admin-route.js'
import { explain } from './explain.js'
import { Checks } from './validate.js'

const KNOWN = new Set(['token', 'user', 'location', 'at'])

/** The explain route. */
export function explainRoute (store: AdminStore, routing: AdminRouting): Route {
  async function post (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const checks = new Checks()
    const body = checks.object('body', await readJson(req))
    for (const field of Object.keys(body)) if (!KNOWN.has(field)) checks.fail(field, 'unknown field; expected token, user, location or at')
    const { token, user, location, at } = body
    if ((token === undefined) === (user === undefined)) checks.fail('user', 'give either token or user')
    if (token !== undefined && (typeof token !== 'string' || token === '' || Buffer.byteLength(token) > MAX_TOKEN_BYTES)) {
      checks.fail('token', `expected a user token of 1 to ${MAX_TOKEN_BYTES} bytes`)
    }
    let userId = user === undefined ? undefined : checks.user('user', user, false)
    const place = location === undefined ? undefined : checks.location('location', location, false)
    const instant = at === undefined ? undefined : checks.instant('at', at)
    checks.done()
    if (token !== undefined) {
      userId = await store.userIdForToken(token as string) ?? undefined
      if (userId === undefined) {
        checks.fail('token', 'no user has this token: /features answers it 401')
        checks.done()
      }
    }
    const snapshot = await store.snapshot(userId)
    const now = instant ?? snapshot.now
    const { answer, features } = explain(snapshot, caller(userId ?? null, place), now)
    sendJson(res, 200, {
      user: userId ?? null,
      location: place ?? null,
      at: new Date(now).toISOString(),
      answer: { active_features: answer },
      features,
    })
  }
  return { path: '/admin/v1/explain', methods: { POST: guard(routing, 'read', post) } }
}
