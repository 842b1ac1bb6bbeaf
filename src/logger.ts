// pino, JSON to stdout. One line at startup per process and none per request by default.
// Nothing here logs request headers: tokens must never reach a log.

import { pino, type Logger } from 'pino'
import type { Config } from './config.js'

/** Create the process logger; `role` tells primary and worker lines apart. */
export function createLogger (config: Pick<Config, 'logLevel'>, role: 'primary' | 'worker'): Logger {
  return pino({
    level: config.logLevel,
    base: { pid: process.pid, role },
    // Belt and braces: should a header object ever be logged, the token is cut out.
    redact: { paths: ['req.headers.authorization', 'headers.authorization', 'authorization', 'token'], censor: '[redacted]' },
  })
}
