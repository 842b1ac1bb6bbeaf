// Calls to the admin API (/admin/v1/*, this origin) with the admin token as Bearer. A refused call
// becomes an ApiError carrying the API's own `key`, `message` and, on 422, its per-field `errors`,
// so that views show what the service said rather than a guess of their own.

import { token } from './session.js'

/** A call the API refused, or one that never got an answer (status 0). */
export class ApiError extends Error {
  readonly status: number
  readonly key: string
  /** Field -> message, on 422; empty otherwise. */
  readonly errors: Readonly<Record<string, string>>

  constructor (status: number, key: string, message: string, errors: Readonly<Record<string, string>> = {}) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.key = key
    this.errors = errors
  }
}

/** The path of an admin resource; each segment (a feature, a user id, a location) percent-encoded. */
export function adminPath (...segments: readonly string[]): string {
  return '/admin/v1/' + segments.map(encodeURIComponent).join('/')
}

let unauthorized: (err: ApiError) => void = () => {}

/** What to do when the signed-in token stops working (revoked, or the tokens file changed): sign out. */
export function whenUnauthorized (handler: (err: ApiError) => void): void {
  unauthorized = handler
}

interface ErrorBody {
  readonly key: string
  readonly message: string
  readonly errors?: Readonly<Record<string, string>>
}

function isErrorBody (value: unknown): value is ErrorBody {
  return typeof value === 'object' && value !== null &&
    typeof (value as ErrorBody).key === 'string' && typeof (value as ErrorBody).message === 'string'
}

/**
 * One call with an explicit token (the sign-in form tries the token before keeping it).
 * @throws ApiError when the answer is not a 2xx, or no answer came
 */
export async function request<T> (bearer: string, method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${bearer}`, accept: 'application/json' }
  if (body !== undefined) headers['content-type'] = 'application/json'
  let res: Response
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' })
  } catch {
    throw new ApiError(0, 'unreachable', 'The service could not be reached')
  }
  let json: unknown
  try {
    json = JSON.parse(await res.text())
  } catch {
    json = undefined
  }
  if (res.ok) return json as T
  if (!isErrorBody(json)) throw new ApiError(res.status, 'unexpected', `The service answered ${res.status}`)
  const retry = res.headers.get('retry-after')
  const message = retry === null ? json.message : `${json.message} (retry in ${retry} s)`
  throw new ApiError(res.status, json.key, message, json.errors)
}

/**
 * One call with the signed-in token. A 401 means that token no longer works: the console signs out
 * (whenUnauthorized) besides rejecting.
 */
export async function call<T> (method: string, path: string, body?: unknown): Promise<T> {
  try {
    return await request<T>(token() ?? '', method, path, body)
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) unauthorized(err)
    throw err
  }
}
