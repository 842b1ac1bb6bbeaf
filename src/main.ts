// Entry point: read the configuration (a bad value stops the process here, before any fork), then
// run as the cluster primary or as a worker.

import cluster from 'node:cluster'
import { loadConfig, type Config } from './config/config.js'
import { ConfigError, DataFileError } from './errors.js'

function fail (err: unknown): never {
  // One line naming the variable, file or resource and what went wrong: these are operator errors
  // (a bad setting, a port in use), so no stack trace.
  const prefix = err instanceof ConfigError || err instanceof DataFileError ? '' : 'failed to start: '
  process.stderr.write(`tideflags: ${prefix}${(err as Error).message}\n`)
  process.exit(1)
}

let config: Config
try {
  config = loadConfig()
} catch (err) {
  fail(err)
}

// Each role loads only its own code: the primary never loads ioredis, node:http or the routes.
if (cluster.isPrimary) {
  try {
    const { runPrimary } = await import('./process/primary.js')
    runPrimary(config)
  } catch (err) {
    fail(err)
  }
} else {
  const { runWorker } = await import('./process/worker.js')
  runWorker(config).catch(fail)
}
