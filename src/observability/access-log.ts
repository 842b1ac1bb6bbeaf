// The optional access log (ACCESS_LOG=1): one pino line per request, off by default because a busy
// service would spend more on logging than on answering. Only method, path, status and duration are
// logged: never headers (tokens) nor the query string.

import type { Logger } from 'pino'
import type { Config } from '../config/config.js'

/** The access logger, or undefined when the access log is off. */
export function createAccessLog (config: Pick<Config, 'accessLog'>, log: Logger): Logger | undefined {
  return config.accessLog ? log.child({ log: 'access' }) : undefined
}
