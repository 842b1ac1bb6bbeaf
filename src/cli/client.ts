// The CLI's HTTP client of the admin API: the global fetch (Node 20), JSON in and out, the admin token
// as a Bearer token. An answer that is not 2xx becomes a ServerError carrying the server's message.

/** An error the server reported (exit status 1): its registry key and message, and per-field errors on 422. */
export class ServerError extends Error {
  readonly status: number
  readonly key: string
  readonly errors: Readonly<Record<string, string>>

  constructor (status: number, key: string, message: string, errors: Record<string, string> = {}) {
    super(message)
    this.name = 'ServerError'
    this.status = status
    this.key = key
    this.errors = errors
  }
}

/** Where the admin API is, and the token to sign in with. */
export interface Target {
  readonly url: string
  readonly token: string
}

/**
 * Send one request to the admin API and return its JSON answer.
 * @param path below /admin/v1/, its segments already percent-encoded
 * @throws ServerError for an answer that is not 2xx; the fetch error when the server cannot be reached
 */
export async function call (target: Target, method: string, path: string, body?: unknown): Promise<unknown> {
  const headers: Record<string, string> = { authorization: `Bearer ${target.token}`, accept: 'application/json' }
  if (body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(new URL(`admin/v1/${path}`, target.url.endsWith('/') ? target.url : target.url + '/'), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  if (response.ok) return json
  const error = (json ?? {}) as { key?: unknown, message?: unknown, errors?: unknown }
  throw new ServerError(
    response.status,
    typeof error.key === 'string' ? error.key : 'http_error',
    typeof error.message === 'string' ? error.message : `HTTP ${response.status}`,
    typeof error.errors === 'object' && error.errors !== null ? error.errors as Record<string, string> : {},
  )
}

/** A path segment, percent-encoded. */
export function segment (value: string): string {
  return encodeURIComponent(value)
}
