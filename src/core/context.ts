// The request context: what a request brings to the rule besides the data. It travels from the route
// (http/identify.ts makes it) through the store (which reads what this caller needs) to the core.
// The time of the request is not part of it: the clock is the store's (Redis TIME, read in the same
// atomic call as the data, so that every worker decides a schedule boundary alike), an input of the rule.

/** Who asks, and from where. */
export interface RequestContext {
  /** The caller's user id; null for an anonymous caller. */
  readonly userId: string | null
  /**
   * The caller's location name, upper-case (`^[A-Z0-9_-]{1,64}$`: the set `location:<name>`), from the
   * configured sources (src/location/location.ts); absent when there is none. Never from the request body.
   */
  readonly location?: string
}

// Most requests of a busy service are anonymous with no location: one shared context, no allocation.
const ANONYMOUS: RequestContext = Object.freeze({ userId: null })

/** The context of a caller with this user id (null: anonymous) and location (undefined: none). */
export function caller (userId: string | null, location?: string): RequestContext {
  if (location !== undefined) return { userId, location }
  return userId === null ? ANONYMOUS : { userId }
}
