// The public HTTP server of one worker: the routes, on the listener plumbing of http/server.ts.

import type { Server } from 'node:http'
import type { Logger } from 'pino'
import { DEFAULTS, type Config } from './config/config.js'
import { featuresRoute } from './routes/features.js'
import { healthRoutes } from './routes/health.js'
import { readinessProbe } from './store/readiness.js'
import { Metrics } from './observability/metrics.js'
import { metricsRoute } from './routes/metrics.js'
import { askPrimary } from './process/metrics-relay.js'
import { ofrepRoutes } from './routes/ofrep/ofrep.js'
import { Replier } from './http/reply.js'
import { createRouter } from './http/router.js'
import { createListener } from './http/server.js'
import { Cors } from './http/cors.js'
import { Drain } from './http/drain.js'
import type { FeatureStore } from './store/index.js'
import { locator } from './http/identify.js'
import { openGeoIp } from './location/geoip.js'

/** The operations parts a worker shares with its server; tests may omit them. */
export interface ServerOps {
  readonly drain: Drain
  readonly metrics: Metrics
  readonly probe: () => Promise<boolean>
  /** The access logger; undefined keeps the access log off. */
  readonly accessLog: Logger | undefined
}

/** Create (not start) the HTTP server for a store. */
export function createServer (config: Config, store: FeatureStore, log: Logger, ops?: ServerOps): Server {
  const { drain, metrics, probe, accessLog } = ops ?? {
    drain: new Drain(),
    metrics: new Metrics({ defaultMetrics: false }),
    probe: readinessProbe(store),
    accessLog: undefined,
  }
  const replier = new Replier(config, log, (err) => metrics.failure(err))
  // The location sources, built once: the GeoIP database is read into this worker's memory here.
  const { header, geoipFile, trusted } = config.location
  const locate = locator({ header, geoip: geoipFile === undefined ? undefined : openGeoIp(geoipFile), trusted }, () => metrics.locationInvalid())
  const routes = [
    featuresRoute(store, replier, locate),
    ...ofrepRoutes(config, store, replier, locate),
    ...healthRoutes(probe, drain, replier),
    // clusterMetrics is set only by our primary, which always forks with an IPC channel.
    metricsRoute(metrics.registry.contentType, config.clusterMetrics ? askPrimary() : async () => ({ value: await metrics.registry.metrics(), at: Date.now() }), replier),
  ]
  const cors = config.corsOrigins === undefined ? undefined : new Cors(config.corsOrigins, DEFAULTS.corsMaxAgeSeconds, replier)
  const router = createRouter(routes, replier, metrics, cors)
  return createListener(config, { router, replier, metrics, drain, accessLog, unmatched: metrics.unmatched })
}
