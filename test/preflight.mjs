// Run before the tests: the integration suites need a real redis-server (>= 6.2) on PATH.
import { execFileSync } from 'node:child_process'

let version
try {
  version = execFileSync('redis-server', ['--version'], { encoding: 'utf8' })
} catch {
  console.error('tideflags tests need redis-server (Redis >= 6.2) on PATH: apt-get install redis-server (or see README "Tests")')
  process.exit(1)
}
const match = /v=(\d+)\.(\d+)/.exec(version)
if (match === null || Number(match[1]) * 100 + Number(match[2]) < 602) {
  console.error(`tideflags tests need Redis >= 6.2; found: ${version.trim()}`)
  process.exit(1)
}

// The schedule-clock test runs the service with its clock moved by libfaketime (LD_PRELOAD).
try {
  execFileSync('faketime', ['-f', '+0s', 'true'])
} catch {
  console.error('tideflags tests need libfaketime for the schedule clock tests: apt-get install faketime (or see README "Tests")')
  process.exit(1)
}

// The Cluster tests create their cluster with `redis-cli --cluster create` (test/helpers/redis-cluster.ts).
try {
  execFileSync('redis-cli', ['--version'], { encoding: 'utf8' })
} catch {
  console.error('tideflags tests need redis-cli for the Redis Cluster tests: apt-get install redis-tools (or see README "Tests")')
  process.exit(1)
}

// The bench smoke tests drive wrk (test/functional/bench/bench-smoke.test.ts).
try {
  execFileSync('wrk', ['--version'], { stdio: 'ignore' })
} catch (err) {
  // wrk --version prints its usage and exits 1: only a missing binary (ENOENT) is a problem.
  if (err.code === 'ENOENT') {
    console.error('tideflags tests need wrk for the benchmark smoke tests: apt-get install wrk (or see README "Tests")')
    process.exit(1)
  }
}
