// The request context: what a request brings to the rule besides the data. It travels from the route
// (http/identify.ts makes it) through the store (which reads what this caller needs) to the core.
// Targeting will add the caller's location and the time of the request here.

/** Who asks. */
export interface RequestContext {
  /** The caller's user id; null for an anonymous caller. */
  readonly userId: string | null
}

// Most requests of a busy service are anonymous: one shared context, no allocation.
const ANONYMOUS: RequestContext = Object.freeze({ userId: null })

/** The context of a caller with this user id (null: anonymous). */
export function caller (userId: string | null): RequestContext {
  return userId === null ? ANONYMOUS : { userId }
}
