// pino, JSON to stdout. One line at startup per process and none per request by default.
// Tokens must never reach a log. Nothing here logs request headers, and every Error logged, under any
// key, is copied through a whitelist of fields: a client library's error carries whatever it likes
// (ioredis's carries `command.args`, e.g. `token:<token>` keys of a whole batch, and `previousErrors`).

import { pino, type DestinationStream, type Logger } from 'pino'
import type { Config } from '../config/config.js'

/** What is left of an Error in a log line: its kind, message, code, stack and causes, nothing else. */
export interface LoggedError {
  type: string
  message: string
  code?: string | number
  stack?: string
  cause?: LoggedError | string
  errors?: Array<LoggedError | string>
}

// A cause chain longer than this is cut: it is detail, and a cycle must not loop forever.
const MAX_CAUSE_DEPTH = 4

// A Redis key of the users Redis names a token. Error messages should never hold one, but a client
// library may put a command's arguments into one: cut them out too, whatever the message's author did.
const TOKEN_KEY = /token:\S*/g

/** Cut `token:<token>` out of a text. */
export function scrub (text: string): string {
  return text.replace(TOKEN_KEY, 'token:[redacted]')
}

/**
 * Copy the whitelisted fields of an Error (name, message, string or number code, stack, and its
 * causes, serialized the same way), scrubbed of token keys. Anything else is dropped.
 */
export function serializeError (err: Error, depth = 0): LoggedError {
  const out: LoggedError = { type: scrub(String(err.name)), message: scrub(String(err.message)) }
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string') out.code = scrub(code)
  else if (typeof code === 'number') out.code = code
  if (typeof err.stack === 'string') out.stack = scrub(err.stack)
  if (depth < MAX_CAUSE_DEPTH) {
    if (err.cause !== undefined) out.cause = nested(err.cause, depth + 1)
    if (err instanceof AggregateError && Array.isArray(err.errors)) {
      out.errors = err.errors.map((inner: unknown) => nested(inner, depth + 1))
    }
  }
  return out
}

// A cause need not be an Error; anything else is kept only as scrubbed text.
function nested (value: unknown, depth: number): LoggedError | string {
  return value instanceof Error ? serializeError(value, depth) : scrub(String(value))
}

// Runs once per line written, before pino's serializers: any top-level value that is an Error, under
// whatever key, leaves as its whitelisted copy. Costs a walk of the line's few keys, only when logged.
function safeLine (obj: Record<string, unknown>): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined
  for (const key in obj) {
    const value = obj[key]
    if (value instanceof Error) {
      copy ??= { ...obj }
      copy[key] = serializeError(value)
    }
  }
  return copy ?? obj
}

/**
 * Create the process logger; `role` tells primary and worker lines apart.
 * @param destination where lines go; stdout when omitted (tests pass a stream they read)
 */
export function createLogger (config: Pick<Config, 'logLevel'>, role: 'primary' | 'worker', destination?: DestinationStream): Logger {
  const options = {
    level: config.logLevel,
    base: { pid: process.pid, role },
    formatters: { log: safeLine },
    // pino's default err serializer copies every enumerable field; ours keeps the whitelist, also for
    // an `err` that reached it some other way (e.g. a child logger's bindings).
    serializers: {
      err: (value: unknown) => value instanceof Error ? serializeError(value) : value,
      // `log.error(err)` without a message makes the error's message the line's message.
      msg: (value: unknown) => typeof value === 'string' ? scrub(value) : value,
    },
    // Belt and braces: should a header object ever be logged, the token is cut out.
    redact: { paths: ['req.headers.authorization', 'headers.authorization', 'authorization', 'token'], censor: '[redacted]' },
  }
  return destination === undefined ? pino(options) : pino(options, destination)
}
