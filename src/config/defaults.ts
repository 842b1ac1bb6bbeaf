// Every default and internal tunable of the service, in one table, each with its unit (ioredis keeps
// DEFAULT_REDIS_OPTIONS so). Modules read their tunables here instead of keeping constants of their own,
// so a reader finds every number the service runs by in one place.

/** pino log levels. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

/** Every default and tunable, each with its unit. */
export const DEFAULTS = Object.freeze({
  // --- Settings an operator can change (src/config/config.ts reads the variables; README lists them)
  port: 5000,
  redisCommandTimeoutMs: 250, // 250 ms: well under a second, far above a healthy Redis round trip
  redisMaxPending: 10_000, // lookups waiting on Redis per worker; bounds memory while Redis stalls
  // entries per cache per worker; 0: off, so a stalled Redis always answers 503 (see README)
  clientCacheEntries: 0,
  retryAfterSeconds: 1, // 1 s: Redis usually comes back in seconds, clients should retry soon
  keepAliveTimeoutMs: 72_000, // 72 s: above the 60 s idle timeout of common load balancers (AWS ALB, nginx)
  headersTimeoutMs: 10_000, // 10 s
  requestTimeoutMs: 30_000, // 30 s
  logLevel: 'info' as LogLevel,
  // 1 s: the first failures of a kind are logged at once, further ones at most once a second as a
  // count (src/observability/log-limiter.ts); an outage costs a few lines, not one per request. Not env variables.
  failureLogIntervalMs: 1_000,
  failureLogBurst: 3, // lines in full per kind of failure before counting starts: a few samples
  shutdownTimeoutMs: 10_000, // 10 s: far above one request's worst case (request timeout aside), below pm2's kill_timeout
  accessLog: false,
  // 1 s: concurrent and back-to-back /metrics scrapes share one gathering of the cluster's numbers, so
  // a scrape may show numbers up to this old; far below any scrape interval Prometheus is run with.
  metricsMaxAgeMs: 1_000,
  // 0.5 s: how often a worker that listened while its store was unreachable checks it again, to
  // report READY soon after the store answers; one PING per instance each time.
  storePollMs: 500,
  // requests of one connection being answered at a time; later pipelined ones wait and the socket
  // stops reading (src/http/pipeline.ts). Far above what real pipelining clients send, small enough that
  // a client that never reads its answers holds little.
  maxPipelinedRequests: 16, // requests per connection
  // pipelined requests of one connection waiting behind those; one more and the connection is cut,
  // since a single 64 KiB read can hold ~1000 requests of a few KB of memory each
  maxWaitingRequests: 256, // requests per connection
  // 2 MB: V8's default lets each semi-space grow to 16 MB under load, ~25 MB of RSS per worker that
  // buys no measurable throughput here (bench/README.md step 8).
  workerSemiSpaceMb: 2,
  // rr (node's default on Linux): the primary accepts every connection and passes it to a worker over
  // IPC, which caps connection churn; none (each worker accepts its own) won every paired churn round
  // (bench/README.md, round two) but is not yet measured on the keep-alive scenarios, where the
  // kernel's uneven wake-ups under none are node's documented reason for rr: kept rr until it is.
  clusterScheduling: 'rr' as 'rr' | 'none',
  // 10,000 features: 100 times the largest real answer, ~0.3 MB of JSON; the script then runs in
  // about a millisecond. A set far past it is bad data or abuse, never a real rollout.
  maxAnswerFeatures: 10_000,
  // 10,000 flags: OFREP lists every known flag to every caller, anonymous ones too, ~0.7 MB at most.
  maxOfrepFlags: 10_000,
  // no GeoIP lookup: a request's location comes from LOCATION_HEADER only (unset by default: none)
  geoip: 'off',
  // unset: no CORS headers at all, so pages on other origins cannot call the service (src/http/cors.ts)
  corsOrigins: undefined as string | undefined,
  // keys per worker remembered as already logged for a refusal (src/store/limits.ts); internal
  reportedKeys: 10_000,
  // the admin API (ADMIN_PORT) listens on loopback unless ADMIN_HOST says otherwise: it changes data
  adminHost: '127.0.0.1',

  // --- Internal tunables: no variable; changed here, with a test and a reason
  storeWaitMs: 5_000, // 5 s: how long a new worker waits for Redis before listening anyway (503 until it answers)
  readyTimeoutMs: 15_000, // 15 s: a replacement worker's store wait (5 s) and a slow start; then a rolling restart stops
  primaryDeadlineMarginMs: 1_000, // 1 s: the primary's shutdown deadline leaves the workers time to hit theirs first
  settleTimeoutMs: 250, // 0.25 s: a draining worker waits this long for its parent's SETTLED (pm2 never sends one)
  handoffMs: 2_000, // 2 s: a busy keep-alive client sends its next request within milliseconds; the rest is margin
  metricsTimeoutMs: 5_000, // 5 s: prom-client's own limit for gathering worker metrics
  restartBaseMs: 100, // 100 ms: delay after the second crash inside the window; doubles with each further one
  restartMaxMs: 10_000, // 10 s: longest delay before re-forking a crashed worker
  restartWindowMs: 60_000, // 60 s: crashes older than this no longer count
  connectionsCheckMs: 1_000, // 1 s: node enforces the headers/request timeouts within this
  maxBodyBytes: 64 * 1024, // 64 KiB: the largest request body (an evaluation context is a few hundred bytes)
  maxTokenBytes: 1024, // 1 KiB of UTF-8: real tokens are far shorter; bounds the Redis key
  maxBasicUserBytes: 1024, // 1 KiB of UTF-8: Basic's user name is ignored, but bounded
  maxInternedAnswers: 1_000, // distinct serialised answers per worker; data where every answer differs misses anyway
  maxBatchKeys: 128, // keys per batched call: a script runs alone on Redis's one thread (bench/README.md step 6)
  // --- Redis Cluster (src/store/redis/topology.ts); each retry stays inside the command timeout
  clusterMaxRedirections: 16, // MOVED/ASK/TRYAGAIN hops per command before it fails (a reshard moves a slot at a time)
  clusterRetryDelayMs: 50, // 50 ms before retrying after ASK, TRYAGAIN, CLUSTERDOWN or a lost node
  clusterSlotsRefreshTimeoutMs: 1_000, // 1 s for CLUSTER SLOTS to answer before another node is asked
  // features whose schedules a Cluster batch reads in its first round, on the guess that they are the
  // ones its answers can hold (cluster-reads.ts); past it, a second round reads exactly the needed ones
  clusterScheduleGuess: 64,
  clusterSlotsRefreshIntervalMs: 5_000, // 5 s: the slot map is also refreshed on every MOVED
  trackingHeartbeatMs: 1_000, // 1 s: a silently dead invalidation link is found within this plus the command timeout
  // 2 h: how long a browser may reuse a CORS preflight answer; Chromium caps it at 2 h, Firefox at 24 h.
  // Removing an origin from CORS_ORIGINS still takes effect at once: actual responses then lack the
  // CORS headers, and the browser refuses them whatever the cached preflight said.
  corsMaxAgeSeconds: 7_200,
  reloadPollMs: 500, // 0.5 s: the embedded store polls its file; polling sees editors' atomic renames, fs.watch can miss them

  // --- The admin listener (src/admin/, README "Backoffice"); internal tunables
  // Failed sign-ins (401) from one address before it gets 429 until the window ends. Counted per worker:
  // with W workers an address gets up to W times this many tries per window before every worker
  // refuses it. Admin tokens are 256 random bits, so the limit is not what stops guessing; it keeps a
  // misconfigured script or a scanner from hammering the listener and the log.
  adminFailureLimit: 10, // failures per address per window per worker
  adminFailureWindowMs: 60_000, // 60 s: the window starts at an address's first failure
  adminFailureAddresses: 10_000, // addresses remembered per worker; past it the oldest window is forgotten
  // 10,000 entries: months of changes by hand; XADD MAXLEN ~ trims in whole stream nodes, so the stream
  // may briefly hold somewhat more.
  auditMaxEntries: 10_000, // entries of the `audit` stream
  embeddedAuditEntries: 1_000, // entries kept in the embedded data file's "audit" list (newest last)
  auditPageDefault: 50, // entries per GET /admin/v1/audit page when `limit` is not given
  auditPageMax: 500, // the largest `limit` accepted
  scanCount: 1_000, // SCAN's COUNT hint when the admin lists location:* and schedule:* keys
  // The embedded store's write lock (a `<file>.lock` file created exclusively): held for the few
  // milliseconds of a read-modify-rename, so a lock this old was left by a process that died holding it.
  embeddedLockWaitMs: 2_000, // 2 s: a write waiting longer for the lock answers 503
  embeddedLockStaleMs: 10_000, // 10 s
  embeddedLockPollMs: 10, // 10 ms between attempts to take the lock
})
