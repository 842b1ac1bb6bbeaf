// /admin/v1/features: every known feature with its state, and the writes of a feature's own keys:
// global, active, schedule and rollout. Every write is idempotent and audited when it changes something.

import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AdminToken } from '../config/admin-tokens.js'
import type { PatternRoute, Route } from '../http/router.js'
import type { AdminStore, Change } from '../store/admin/admin-store.js'
import { guard, readJson, sendJson, type AdminRouting } from './admin-route.js'
import { featureStates } from './feature-states.js'
import { Checks } from './validate.js'

/** Build the answer of a write from its change: what PUT or DELETE means for the feature. */
type ChangeOf = (feature: string, req: IncomingMessage, checks: Checks, remove: boolean) => Promise<Change>

/** The routes of /admin/v1/features. */
export function featuresRoutes (store: AdminStore, routing: AdminRouting): (Route | PatternRoute)[] {
  async function list (_req: IncomingMessage, res: ServerResponse): Promise<void> {
    const snapshot = await store.snapshot()
    sendJson(res, 200, { now: new Date(snapshot.now).toISOString(), features: featureStates(snapshot) })
  }

  // One route per key a feature has; PUT sets it, DELETE removes it.
  const write = (changeOf: ChangeOf, remove: boolean) => async (req: IncomingMessage, res: ServerResponse, params: readonly string[], caller: AdminToken): Promise<void> => {
    const checks = new Checks()
    const feature = checks.feature('feature', params[0] as string)
    const change = await changeOf(feature, req, checks, remove)
    checks.done()
    sendJson(res, 200, await store.write(change, caller.actor))
  }
  const route = (key: string, changeOf: ChangeOf): PatternRoute => ({
    pattern: `/admin/v1/features/{name}/${key}`,
    methods: { PUT: guard(routing, 'write', write(changeOf, false)), DELETE: guard(routing, 'write', write(changeOf, true)) },
  })

  return [
    { path: '/admin/v1/features', methods: { GET: guard(routing, 'read', list) } },
    route('global', async (feature, _req, _checks, remove) => ({ kind: 'member', set: { kind: 'global' }, feature, present: !remove })),
    route('active', async (feature, _req, _checks, remove) => ({ kind: 'member', set: { kind: 'active' }, feature, present: !remove })),
    route('schedule', async (feature, req, checks, remove) => {
      if (remove) return { kind: 'schedule', feature, fields: null }
      return { kind: 'schedule', feature, fields: checks.schedule(checks.object('body', await readJson(req))) }
    }),
    route('rollout', async (feature, req, checks, remove) => {
      if (remove) return { kind: 'rollout', feature, percent: null }
      const body = checks.object('body', await readJson(req))
      return { kind: 'rollout', feature, percent: checks.percent('percent', body.percent) }
    }),
  ]
}
