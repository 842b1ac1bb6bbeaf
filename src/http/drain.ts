// Where a worker is in its life, as every request sees it. Read on every request, so a plain field;
// process/shutdown.ts moves it forward, never back.

/**
 * - `serving`: answer normally;
 * - `handoff`: answer, with `Connection: close`, so keep-alive clients move to another worker;
 * - `closing`: answer 503 at once (the handoff is over; the server is closing).
 */
export type DrainPhase = 'serving' | 'handoff' | 'closing'

/** The drain state a worker's server and its shutdown share. */
export class Drain {
  phase: DrainPhase = 'serving'
}
