// The request mixes the benchmark drives. Each scenario says, per request, which Authorization header
// to send and who the caller is, so the checker can compute the answer the service owes.

import { HTTP_ERRORS } from '../src/errors.js'
import { expectedBody, type DataSet } from './data.js'
import { generateTargeting, locationName, type TargetingData } from './targeting.js'

/** One request of a scenario: its Authorization header (undefined: none) and the caller behind it. */
export interface Call {
  readonly authorization: string | undefined
  /** 'anonymous', a user index into the data set, or 'unknown' (a token nobody has). */
  readonly caller: 'anonymous' | 'unknown' | number
  /** The location header's value (LOCATION_HEADER), if the call sends one. */
  readonly location?: string
}

/** A named request mix. */
export interface Scenario {
  readonly name: string
  readonly description: string
  /** Every Authorization value the scenario may send, with its caller; one is drawn per request. */
  readonly calls: readonly Call[]
  /** Targeting data the scenario writes before it runs and removes after (the targeting scenario). */
  readonly targeting?: TargetingData
  /** Concurrent connections for this scenario, instead of the run's `--connections`. */
  readonly connections?: number
  /** One new connection per request (`Connection: close`). */
  readonly closeEach?: boolean
  /** Run against a second service whose two Redis URLs name one instance holding both data sets. */
  readonly sameInstance?: boolean
}

const ANONYMOUS: Call = Object.freeze({ authorization: undefined, caller: 'anonymous' })

function bearer (data: DataSet): Call[] {
  return data.tokens.map((token, i) => ({ authorization: `Bearer ${token}`, caller: i }))
}

function basic (data: DataSet): Call[] {
  // The existing apps' form: a user name they ignore, the token as the password.
  return data.tokens.map((token, i) => ({ authorization: 'Basic ' + Buffer.from(`app:${token}`).toString('base64'), caller: i }))
}

function unknown (data: DataSet): Call[] {
  return data.unknownTokens.map((token) => ({ authorization: `Bearer ${token}`, caller: 'unknown' as const }))
}

// Take `count` calls spread evenly over `from`, so a mix still reaches every part of the data set.
function spread (from: readonly Call[], count: number): Call[] {
  const out: Call[] = []
  for (let i = 0; i < count; i++) out.push(from[Math.floor(i * from.length / count)] as Call)
  return out
}

/** Names of all scenarios, in the order they run. */
export const SCENARIO_NAMES = ['anonymous', 'bearer', 'basic', 'unknown', 'mix', 'targeting', 'conn-per-request', 'same-instance', 'c1000', 'c5000'] as const
export type ScenarioName = typeof SCENARIO_NAMES[number]

/** Build a scenario's call list from the data set. */
export function buildScenario (name: ScenarioName, data: DataSet): Scenario {
  switch (name) {
    case 'anonymous':
      return { name, description: 'no Authorization header: global_features only', calls: [ANONYMOUS] }
    case 'bearer':
      return { name, description: 'Bearer token of a random user, a new user per request', calls: bearer(data) }
    case 'basic':
      return { name, description: 'Basic base64(app:<token>) of a random user', calls: basic(data) }
    case 'unknown':
      return { name, description: 'Bearer token that belongs to nobody: 401', calls: unknown(data) }
    case 'mix': {
      // 60% Bearer, 15% Basic, 15% anonymous, 10% unknown, shuffled by the per-request draw.
      const n = data.tokens.length
      const calls = [
        ...spread(bearer(data), Math.round(n * 0.6)),
        ...spread(basic(data), Math.round(n * 0.15)),
        ...Array.from({ length: Math.round(n * 0.15) }, () => ANONYMOUS),
        ...spread(unknown(data), Math.round(n * 0.1)),
      ]
      return { name, description: '60% Bearer, 15% Basic, 15% anonymous, 10% unknown token', calls }
    }
    case 'targeting': {
      // Every user, each with a location header; 50 locations, 20 schedules, 10 rollouts in the data.
      const calls = bearer(data).map((call, i) => ({ ...call, location: locationName(i) }))
      return { name, description: 'bearer with a location header; 50 location sets, 20 schedules (10 open), 10 rollouts', calls, targeting: generateTargeting(data) }
    }
    // The next four send the bearer calls, the common authenticated path, and change one other thing.
    case 'conn-per-request':
      return { name, description: 'bearer, Connection: close on every request: a new connection each', calls: bearer(data), closeEach: true }
    case 'same-instance':
      return { name, description: 'bearer, against a service whose users and features URLs name one Redis', calls: bearer(data), sameInstance: true }
    case 'c1000':
      return { name, description: 'bearer over 1,000 keep-alive connections', calls: bearer(data), connections: 1000 }
    case 'c5000':
      return { name, description: 'bearer over 5,000 keep-alive connections', calls: bearer(data), connections: 5000 }
  }
}

/** The status and body the service owes for a call. */
export function expected (data: DataSet, call: Call, targeting?: TargetingData): { status: number, body: string } {
  if (call.caller === 'unknown') return { status: 401, body: HTTP_ERRORS.TF_ERR_UNAUTHORIZED.body.toString() }
  return { status: 200, body: expectedBody(data, call.caller === 'anonymous' ? undefined : call.caller, targeting, call.location) }
}
