// Entry point: read the configuration (a bad value stops the process here, before any fork), then
// run as the cluster primary or as a worker.

import cluster from 'node:cluster'
import { loadConfig, type Config } from './config.js'
import { ConfigError, DataFileError } from './errors.js'
import { runPrimary } from './primary.js'
import { runWorker } from './worker.js'

function fail (err: unknown): never {
  if (err instanceof ConfigError || err instanceof DataFileError) {
    // One line naming the variable or file and what was expected; no stack for operator errors.
    process.stderr.write(`tideflags: ${err.message}\n`)
  } else {
    process.stderr.write(`tideflags: failed to start: ${(err as Error)?.stack ?? String(err)}\n`)
  }
  process.exit(1)
}

let config: Config
try {
  config = loadConfig()
} catch (err) {
  fail(err)
}

if (cluster.isPrimary) {
  try {
    runPrimary(config)
  } catch (err) {
    fail(err)
  }
} else {
  runWorker(config).catch(fail)
}
