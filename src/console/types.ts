// The admin API's answers as the console reads them. The shapes are the service's own types (imported
// for type checking only: nothing of the service is bundled), so a change to an answer that the console
// does not follow fails `npm run typecheck`.

import type { FeatureWhy } from '../admin/explain.js'
import type { FeatureState, ScheduleState } from '../admin/feature-states.js'
import type { AuditEntry, AuditValue, WriteResult } from '../store/admin/admin-store.js'

export type { AuditValue, FeatureState, FeatureWhy, ScheduleState, WriteResult }

/** GET /admin/v1/features */
export interface FeatureList {
  readonly now: string
  readonly features: readonly FeatureState[]
}

/** GET /admin/v1/users/{id}/features and GET /admin/v1/locations/{name}: a set's members. */
export interface Members {
  readonly features: readonly string[]
}

/** GET /admin/v1/locations */
export interface LocationList {
  readonly locations: readonly { readonly name: string, readonly features: readonly string[] }[]
}

/** One entry of GET /admin/v1/audit: the stored entry, its time as ISO-8601. */
export type AuditRow = Omit<AuditEntry, 'time'> & { readonly time: string }

/** GET /admin/v1/audit */
export interface AuditPage {
  readonly entries: readonly AuditRow[]
  readonly next: string | null
}

/** POST /admin/v1/explain */
export interface Explanation {
  readonly user: string | null
  readonly location: string | null
  readonly at: string
  readonly answer: { readonly active_features: readonly string[] }
  readonly features: readonly FeatureWhy[]
}
