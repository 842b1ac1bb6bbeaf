// The serialised /features answer: body, ETag and both header sets, built once per distinct answer
// instead of once per request (JSON.stringify, sha1 and a header object were the worker's own hot path).

import { etagOf } from './etag.js'

/** A ready-to-write answer. */
export interface Answer {
  readonly body: Buffer
  readonly etag: string
  readonly headers200: Readonly<Record<string, string | number>>
  readonly headers304: Readonly<Record<string, string>>
}

// Responses vary by caller, so they are `private`; `no-cache` lets clients keep a copy but
// revalidate it every time (If-None-Match -> 304), which keeps the freshness promise.
const CACHE_CONTROL = 'private, no-cache'
const MAX_INTERNED = 10_000 // distinct answers kept by content per worker; beyond it the table starts over

// Cached store answers come back as the same array: found by identity, no work at all.
const byArray = new WeakMap<readonly string[], Answer>()
// Uncached answers are new arrays with few distinct contents: found by content.
let byContent = new Map<string, Answer>()

/** The answer for a sorted feature list. The list must not change afterwards. */
export function answerFor (features: readonly string[]): Answer {
  let answer = byArray.get(features)
  if (answer !== undefined) return answer
  // The JSON of the list is the key: unique per list whatever the names hold, and half the body.
  const json = JSON.stringify(features)
  answer = byContent.get(json)
  if (answer === undefined) {
    answer = build(json)
    if (byContent.size >= MAX_INTERNED) byContent = new Map()
    byContent.set(json, answer)
  }
  byArray.set(features, answer)
  return answer
}

function build (featuresJson: string): Answer {
  // Same bytes as JSON.stringify({ active_features: features }).
  const body = Buffer.from('{"active_features":' + featuresJson + '}')
  const etag = etagOf(body)
  return Object.freeze({
    body,
    etag,
    headers200: Object.freeze({
      'content-type': 'application/json',
      'content-length': body.length,
      etag,
      'cache-control': CACHE_CONTROL,
      vary: 'Authorization',
    }),
    headers304: Object.freeze({ etag, 'cache-control': CACHE_CONTROL, vary: 'Authorization' }),
  })
}
