// One registry for every error the service can report. Code branches on `code`, never on message text.
// HTTP errors carry the status and the client-facing JSON body, serialised once here so the hot path
// only writes a ready buffer. Clients see `key` and `message`; details go to the log only.

/** Definition of an error a client can receive. */
export interface HttpErrorDef {
  /** Stable internal code, used in logs and in code. */
  readonly code: string
  readonly statusCode: number
  /** Stable machine-readable key in the JSON body (existing clients match on it). */
  readonly key: string
  /** Human-readable message in the JSON body. */
  readonly message: string
  /** Pre-serialised `{"key":...,"message":...}` body. */
  readonly body: Buffer
  /**
   * OpenFeature error code when answered on an OFREP route (src/routes/ofrep/ofrep-reply.ts), which uses the
   * protocol's `{"errorCode","errorDetails"}` shape instead; absent means `GENERAL`.
   */
  readonly ofrepCode?: OfrepErrorCode
}

/** The OFREP error codes this service sends (OFREP 0.3.0 evaluationFailure, flagNotFound). */
export type OfrepErrorCode = 'PARSE_ERROR' | 'INVALID_CONTEXT' | 'FLAG_NOT_FOUND' | 'GENERAL'

function def (code: string, statusCode: number, key: string, message: string, ofrepCode?: OfrepErrorCode): HttpErrorDef {
  return Object.freeze({ code, statusCode, key, message, body: Buffer.from(JSON.stringify({ key, message })), ofrepCode })
}

/** Every error a client can receive, by code. README "Errors" documents each one (a test checks). */
export const HTTP_ERRORS = Object.freeze({
  TF_ERR_UNAUTHORIZED: def('TF_ERR_UNAUTHORIZED', 401, 'auth_error', 'Unauthorized'),
  TF_ERR_AUTH_SCHEME: def('TF_ERR_AUTH_SCHEME', 400, 'invalid_authorization',
    'Authorization must use the Bearer or Basic scheme'),
  TF_ERR_AUTH_BASE64: def('TF_ERR_AUTH_BASE64', 400, 'invalid_authorization',
    'Basic credentials must be base64 of "user:token"'),
  TF_ERR_AUTH_EMPTY_TOKEN: def('TF_ERR_AUTH_EMPTY_TOKEN', 400, 'invalid_authorization',
    'The token is empty'),
  TF_ERR_AUTH_TOKEN_TOO_LONG: def('TF_ERR_AUTH_TOKEN_TOO_LONG', 400, 'invalid_authorization',
    'The token is longer than 1024 bytes'),
  TF_ERR_AUTH_USER_TOO_LONG: def('TF_ERR_AUTH_USER_TOO_LONG', 400, 'invalid_authorization',
    'The Basic user name is longer than 1024 bytes'),
  TF_ERR_AUTH_DUPLICATE: def('TF_ERR_AUTH_DUPLICATE', 400, 'invalid_authorization',
    'Send one Authorization header, not several'),
  TF_ERR_AUTH_TOKEN_CHARS: def('TF_ERR_AUTH_TOKEN_CHARS', 400, 'invalid_authorization',
    'The token contains control characters'),
  TF_ERR_NOT_FOUND: def('TF_ERR_NOT_FOUND', 404, 'url_not_found_error', 'URL not found'),
  TF_ERR_METHOD_NOT_ALLOWED: def('TF_ERR_METHOD_NOT_ALLOWED', 405, 'method_not_allowed', 'Method not allowed'),
  // A browser's CORS preflight from an origin CORS_ORIGINS does not list (src/http/cors.ts). The browser
  // itself never shows this body to the page; it is for people reading the network panel or curl.
  TF_ERR_CORS_ORIGIN: def('TF_ERR_CORS_ORIGIN', 403, 'cors_origin_not_allowed',
    'Cross-origin requests from this origin are not allowed'),
  TF_ERR_BAD_REQUEST: def('TF_ERR_BAD_REQUEST', 400, 'bad_request', 'Malformed HTTP request'),
  TF_ERR_MISSING_HOST: def('TF_ERR_MISSING_HOST', 400, 'bad_request', 'An HTTP/1.1 request must have a Host header'),
  TF_ERR_EXPECTATION_FAILED: def('TF_ERR_EXPECTATION_FAILED', 417, 'expectation_failed',
    'The only expectation supported is 100-continue'),
  TF_ERR_REQUEST_TIMEOUT: def('TF_ERR_REQUEST_TIMEOUT', 408, 'request_timeout', 'The request took too long to arrive'),
  TF_ERR_HEADERS_TOO_LARGE: def('TF_ERR_HEADERS_TOO_LARGE', 431, 'headers_too_large',
    'Request headers are too large'),
  TF_ERR_INTERNAL: def('TF_ERR_INTERNAL', 500, 'internal_server_error', 'Internal server error'),
  // 500, not 503: retrying cannot help until the data changes, and a Retry-After would invite clients
  // to hammer the answer that is refused; nor is it the client's fault (4xx).
  TF_ERR_ANSWER_TOO_LARGE: def('TF_ERR_ANSWER_TOO_LARGE', 500, 'answer_too_large',
    'The answer for this caller is larger than the configured limit'),
  TF_ERR_SERVICE_UNAVAILABLE: def('TF_ERR_SERVICE_UNAVAILABLE', 503, 'service_unavailable',
    'The feature store is unavailable, retry later'),
  TF_ERR_SHUTTING_DOWN: def('TF_ERR_SHUTTING_DOWN', 503, 'service_unavailable',
    'This server is shutting down, retry'),
  TF_ERR_NOT_READY: def('TF_ERR_NOT_READY', 503, 'not_ready',
    'The feature store cannot be reached, or this server is draining'),
  TF_ERR_METRICS_UNAVAILABLE: def('TF_ERR_METRICS_UNAVAILABLE', 503, 'metrics_unavailable',
    'Cluster metrics could not be collected, retry'),
  TF_ERR_BODY_TOO_LARGE: def('TF_ERR_BODY_TOO_LARGE', 413, 'body_too_large',
    'The request body is larger than 64 KiB'),
  TF_ERR_OFREP_JSON: def('TF_ERR_OFREP_JSON', 400, 'parse_error',
    'The request body is not valid UTF-8 JSON', 'PARSE_ERROR'),
  TF_ERR_OFREP_BODY_SHAPE: def('TF_ERR_OFREP_BODY_SHAPE', 400, 'parse_error',
    'The request body must be a JSON object', 'PARSE_ERROR'),
  TF_ERR_OFREP_CONTEXT: def('TF_ERR_OFREP_CONTEXT', 400, 'invalid_context',
    'The request body must hold a "context" that is a JSON object', 'INVALID_CONTEXT'),
  TF_ERR_OFREP_FLAG_KEY: def('TF_ERR_OFREP_FLAG_KEY', 400, 'parse_error',
    'The flag key in the path is not valid percent-encoded UTF-8', 'PARSE_ERROR'),
  TF_ERR_OFREP_FLAG_NOT_FOUND: def('TF_ERR_OFREP_FLAG_NOT_FOUND', 404, 'flag_not_found',
    'No feature of that name is global or active', 'FLAG_NOT_FOUND'),
  // The admin listener (src/admin/). 401 reuses TF_ERR_UNAUTHORIZED: an unknown admin token is as
  // unknown as a user token, and says nothing about which tokens exist.
  TF_ERR_ADMIN_FORBIDDEN: def('TF_ERR_ADMIN_FORBIDDEN', 403, 'forbidden',
    'This admin token may only read'),
  TF_ERR_ADMIN_RATE_LIMITED: def('TF_ERR_ADMIN_RATE_LIMITED', 429, 'too_many_failures',
    'Too many failed admin sign-ins from this address, retry later'),
  TF_ERR_ADMIN_JSON: def('TF_ERR_ADMIN_JSON', 400, 'invalid_json',
    'The request body must be a UTF-8 JSON object'),
  // Sent with a per-field `errors` object next to key and message (src/admin/admin-reply.ts).
  TF_ERR_ADMIN_VALIDATION: def('TF_ERR_ADMIN_VALIDATION', 422, 'validation_failed',
    'The request is not valid; see errors'),
  TF_ERR_ADMIN_DATA_FILE: def('TF_ERR_ADMIN_DATA_FILE', 500, 'data_file_invalid',
    'The embedded store\'s data file is invalid on disk; fix it, then retry'),
})

export type HttpErrorCode = keyof typeof HTTP_ERRORS

/** Why a Redis command failed, as the `kind` label of tideflags_redis_errors_total. */
export type RedisFailureKind = 'timeout' | 'connection' | 'reply' | 'overload' | 'cluster'

/** An error that maps to a client response. Thrown by stores and auth, turned into a reply by the server. */
export class HttpError extends Error {
  readonly code: HttpErrorCode
  /** Set by the store for a failure of Redis itself: the kind the metrics count it under. */
  readonly failure: RedisFailureKind | undefined

  constructor (code: HttpErrorCode, options?: { cause?: unknown, failure?: RedisFailureKind }) {
    super(HTTP_ERRORS[code].message, options)
    this.name = 'HttpError'
    this.code = code
    this.failure = options?.failure
  }

  // A getter, not an own property: loggers walk an error's own properties, and the frozen,
  // error-like definition would trip pino's serializer.
  /** The registry entry of this error. */
  get def (): HttpErrorDef {
    return HTTP_ERRORS[this.code]
  }
}

/** A bad environment variable. Stops the process before it forks, naming the variable. */
export class ConfigError extends Error {
  readonly code = 'TF_ERR_CONFIG'
  readonly variable: string

  constructor (variable: string, expected: string) {
    super(`${variable}: expected ${expected}`)
    this.name = 'ConfigError'
    this.variable = variable
  }
}

/** A bad data file for the embedded store: names the file and the problem. */
export class DataFileError extends Error {
  readonly code = 'TF_ERR_DATA_FILE'
  readonly file: string

  constructor (file: string, problem: string, options?: { cause?: unknown }) {
    super(`${file}: ${problem}`, options)
    this.name = 'DataFileError'
    this.file = file
  }
}
