// The serialised /features answer: body, ETag and both header sets, built once per distinct answer
// instead of once per request (JSON.stringify, sha1 and a header object were the worker's own hot path).

import type { IncomingMessage, ServerResponse } from 'node:http'
import { etagOf, ifNoneMatch } from './etag.js'
import { DEFAULTS } from '../config/defaults.js'

/** A ready-to-write answer. */
export interface Answer {
  /**
   * The JSON body, as a string: node then writes headers and body in one write, where a Buffer body
   * goes out as a two-chunk writev, measurably slower (bench/README.md, step 7).
   */
  readonly body: string
  readonly etag: string
  readonly headers200: Readonly<Record<string, string | number>>
  readonly headers304: Readonly<Record<string, string>>
}

// Responses vary by caller, so they are `private`; `no-cache` lets clients keep a copy but
// revalidate it every time (If-None-Match -> 304), which keeps the freshness promise.
const CACHE_CONTROL = 'private, no-cache'
// Distinct answers kept by content per worker; beyond it the table starts over. Real data has few
// distinct answers (most users share a handful of combinations); data where nearly every user's answer
// is distinct (the benchmark's) misses either way, and a larger table then only holds memory.
export const MAX_INTERNED = DEFAULTS.maxInternedAnswers

// Shared answers (the global features of a batch, cached store answers) come back as the same array:
// found by identity, no work at all.
const byArray = new WeakMap<readonly string[], Answer>()
// Other answers are new arrays, often with few distinct contents: found by content.
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
  const body = '{"active_features":' + featuresJson + '}'
  const etag = etagOf(body)
  return Object.freeze({ body, etag, ...revalidatedHeaders(Buffer.byteLength(body), etag) })
}

/**
 * The header sets of a per-caller JSON answer that clients may keep but must revalidate: /features
 * and OFREP's bulk evaluation share this policy.
 * @param bytes the body's length in bytes
 */
export function revalidatedHeaders (bytes: number, etag: string): Pick<Answer, 'headers200' | 'headers304'> {
  return {
    headers200: Object.freeze({ 'content-type': 'application/json', 'content-length': bytes, etag, 'cache-control': CACHE_CONTROL, vary: 'Authorization' }),
    headers304: Object.freeze({ etag, 'cache-control': CACHE_CONTROL, vary: 'Authorization' }),
  }
}

/** A per-caller answer that clients may keep and revalidate: /features and OFREP's bulk evaluation. */
export interface Revalidated {
  readonly body: string | Buffer
  readonly etag: string
  readonly headers200: Readonly<Record<string, string | number>>
  readonly headers304: Readonly<Record<string, string>>
}

/** Send an answer: 304 when the client's If-None-Match holds its ETag, else 200 (no body for HEAD). */
export function sendRevalidated (req: IncomingMessage, res: ServerResponse, answer: Revalidated): void {
  if (ifNoneMatch(req.headers['if-none-match'], answer.etag)) {
    res.writeHead(304, answer.headers304)
    res.end()
    return
  }
  res.writeHead(200, answer.headers200)
  res.end(req.method === 'HEAD' ? undefined : answer.body)
}
