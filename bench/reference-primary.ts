// The primary of a reference cluster (the static baseline, the stripped ceiling): fork the workers,
// announce each one as `<name> listening <pid>` (what bench/processes.ts waits for), and take the
// workers down with it on SIGTERM or SIGINT.

import cluster from 'node:cluster'

/** Run this process as the primary of `workers` workers of the same script. */
export function runPrimary (name: string, workers: number): void {
  for (let i = 0; i < workers; i++) cluster.fork()
  cluster.on('listening', (worker) => process.stdout.write(`${name} listening ${worker.process.pid}\n`))
  const stop = (): void => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill()
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}
