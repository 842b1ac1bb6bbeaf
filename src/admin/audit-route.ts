// GET /admin/v1/audit?limit=&before=: the audit trail, newest first, paged by entry id: each page's
// `next` is the `before` of the page after it (null on the last page).

import type { IncomingMessage, ServerResponse } from 'node:http'
import { DEFAULTS } from '../config/defaults.js'
import type { Route } from '../http/router.js'
import type { AdminStore } from '../store/admin/admin-store.js'
import { guard, sendJson, type AdminRouting } from './admin-route.js'
import { Checks } from './validate.js'

const ENTRY_ID = /^\d{1,15}-\d{1,15}$/

/** The audit route. */
export function auditRoute (store: AdminStore, routing: AdminRouting): Route {
  async function get (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const query = new URL(req.url as string, 'http://admin').searchParams
    const checks = new Checks()
    const rawLimit = query.get('limit')
    let limit: number = DEFAULTS.auditPageDefault
    if (rawLimit !== null) {
      limit = /^\d{1,4}$/.test(rawLimit) ? Number(rawLimit) : 0
      if (limit < 1 || limit > DEFAULTS.auditPageMax) checks.fail('limit', `expected an integer from 1 to ${DEFAULTS.auditPageMax}`)
    }
    const before = query.get('before') ?? undefined
    if (before !== undefined && !ENTRY_ID.test(before)) checks.fail('before', 'expected an entry id such as 1767225600000-0 (a page\'s "next")')
    checks.done()
    const page = await store.audit(limit, before)
    sendJson(res, 200, {
      entries: page.entries.map((entry) => ({ ...entry, time: new Date(entry.time).toISOString() })),
      next: page.next,
    })
  }
  return { path: '/admin/v1/audit', methods: { GET: guard(routing, 'read', get) } }
}
