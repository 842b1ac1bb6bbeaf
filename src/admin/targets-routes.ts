// A user's and a location's own feature sets: /admin/v1/users/{id}/features and /admin/v1/locations.

import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AdminToken } from '../config/admin-tokens.js'
import type { PatternRoute, Route } from '../http/router.js'
import type { AdminStore, SetRef } from '../store/admin/admin-store.js'
import { guard, sendJson, type AdminRouting } from './admin-route.js'
import { Checks } from './validate.js'

/** The routes of /admin/v1/users and /admin/v1/locations. */
export function targetsRoutes (store: AdminStore, routing: AdminRouting): (Route | PatternRoute)[] {
  async function userFeatures (_req: IncomingMessage, res: ServerResponse, params: readonly string[]): Promise<void> {
    const checks = new Checks()
    const id = checks.user('user', params[0], true)
    checks.done()
    sendJson(res, 200, { user: id, features: await store.members({ kind: 'user', id }) })
  }

  async function locations (_req: IncomingMessage, res: ServerResponse): Promise<void> {
    const snapshot = await store.snapshot()
    sendJson(res, 200, { locations: Array.from(snapshot.locations, ([name, features]) => ({ name, features })) })
  }

  async function location (_req: IncomingMessage, res: ServerResponse, params: readonly string[]): Promise<void> {
    const checks = new Checks()
    const name = checks.location('location', params[0], true)
    checks.done()
    sendJson(res, 200, { name, features: await store.members({ kind: 'location', name }) })
  }

  // PUT adds the feature to the set, DELETE removes it.
  const member = (setOf: (checks: Checks, segment: string) => SetRef & { kind: 'user' | 'location' }, present: boolean) =>
    async (_req: IncomingMessage, res: ServerResponse, params: readonly string[], caller: AdminToken): Promise<void> => {
      const checks = new Checks()
      const set = setOf(checks, params[0] as string)
      const feature = checks.feature('feature', params[1] as string)
      checks.done()
      sendJson(res, 200, await store.write({ kind: 'member', set, feature, present }, caller.actor))
    }
  const user = (checks: Checks, segment: string): SetRef & { kind: 'user' } => ({ kind: 'user', id: checks.user('user', segment, true) })
  const place = (checks: Checks, segment: string): SetRef & { kind: 'location' } => ({ kind: 'location', name: checks.location('location', segment, true) })

  return [
    { pattern: '/admin/v1/users/{id}/features', methods: { GET: guard(routing, 'read', userFeatures) } },
    {
      pattern: '/admin/v1/users/{id}/features/{name}',
      methods: { PUT: guard(routing, 'write', member(user, true)), DELETE: guard(routing, 'write', member(user, false)) },
    },
    { path: '/admin/v1/locations', methods: { GET: guard(routing, 'read', locations) } },
    { pattern: '/admin/v1/locations/{name}', methods: { GET: guard(routing, 'read', location) } },
    {
      pattern: '/admin/v1/locations/{name}/features/{feature}',
      methods: { PUT: guard(routing, 'write', member(place, true)), DELETE: guard(routing, 'write', member(place, false)) },
    },
  ]
}
