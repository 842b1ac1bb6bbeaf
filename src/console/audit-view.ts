// The audit trail, newest first, a page at a time: each page's `next` is the `before` of the page
// after it, and goes into the view's address (#/audit/<before>), so paging is plain links.

import { adminPath, call } from './api.js'
import { h, link } from './dom.js'
import { auditValue } from './format.js'
import type { AuditPage } from './types.js'

/** Entries per page. */
export const AUDIT_PAGE = 20

/** Render a page of the trail into `root`: the newest, or the one older than entry `before`. */
export async function auditView (root: HTMLElement, before?: string): Promise<void> {
  root.append(h('h1', {}, 'Audit trail'))
  const query = new URLSearchParams({ limit: String(AUDIT_PAGE) })
  if (before !== undefined) query.set('before', before)
  const page = await call<AuditPage>('GET', `${adminPath('audit')}?${query.toString()}`)
  const columns = ['Time', 'Actor', 'Action', 'Target', 'Before', 'After']
  root.append(
    page.entries.length === 0
      ? h('p', {}, before === undefined ? 'No change recorded yet.' : 'No older entries.')
      : h('div', { class: 'scroll' }, h('table', { id: 'audit' },
        h('caption', {}, before === undefined ? 'Latest changes, newest first' : `Changes before entry ${before}, newest first`),
        h('thead', {}, h('tr', {}, ...columns.map((title) => h('th', { scope: 'col' }, title)))),
        h('tbody', {}, ...page.entries.map((entry) => h('tr', {},
          h('td', { class: 'time' }, h('time', { datetime: entry.time }, entry.time)),
          h('td', {}, entry.actor),
          h('td', {}, entry.action),
          h('td', {}, entry.target),
          h('td', {}, auditValue(entry.before)),
          h('td', {}, auditValue(entry.after)),
        ))),
      )),
    h('nav', { class: 'row pager', 'aria-label': 'Audit pages' },
      before !== undefined && link('Newest entries', 'audit'),
      page.next !== null && link('Older entries', 'audit', page.next),
    ),
  )
}
