// The optional third target: the original Flask app (../shared/seed-app) under gunicorn with gevent
// workers, as its README runs it, reading the same two Redis as the service. It is measured, never
// checked: its answers are the original design's (sorted, no ETag), not the service's.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { request } from 'node:http'
import { availableParallelism } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { freePort } from '../test/helpers/redis-server.js'

// Not in the coverage figures: which of its paths run depends on the machine (gunicorn and the original
// app, outside this repository, exist here but not in a clean CI clone); the bench smoke test runs
// whichever applies, so every line runs somewhere, never everywhere.
/* c8 ignore start */
// Where the original app lives: ../shared/seed-app from the repository (one level more from a git
// worktree under wt/), or TF_SEED_APP_DIR.
const CANDIDATES = ['../../shared/seed-app/', '../../../shared/seed-app/'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)))
export const SEED_APP_DIR = process.env.TF_SEED_APP_DIR ?? CANDIDATES.find((dir) => existsSync(`${dir}/app.py`)) ?? CANDIDATES[0] as string

/** Whether the seed target can run here: gunicorn on PATH and the app where the README says. */
export function seedAvailable (): { ok: true } | { ok: false, why: string } {
  try {
    execFileSync('gunicorn', ['--version'], { stdio: 'ignore' })
  } catch {
    return { ok: false, why: 'gunicorn is not on PATH (apt-get install -y gunicorn python3-flask python3-redis python3-gevent)' }
  }
  if (!existsSync(`${SEED_APP_DIR}/app.py`)) return { ok: false, why: `no app.py in ${SEED_APP_DIR} (set TF_SEED_APP_DIR)` }
  return { ok: true }
}

/** A running gunicorn. */
export interface Seed {
  readonly url: string
  stop (): Promise<void>
}

/** Start gunicorn -k gevent with (2 x cores) + 1 workers, gunicorn's own advice, and wait until it answers. */
export async function startSeed (usersUrl: string, featuresUrl: string): Promise<Seed> {
  const port = await freePort()
  const child: ChildProcess = spawn('gunicorn', [
    '--chdir', SEED_APP_DIR, '-b', `127.0.0.1:${port}`, '-w', String(2 * availableParallelism() + 1),
    '-k', 'gevent', '--worker-connections', '1000', '--log-level', 'warning', 'app:app',
  ], { env: { ...process.env, REDIS_USERS_URL: `${usersUrl}/0`, REDIS_FEATURES_URL: `${featuresUrl}/0` }, stdio: ['ignore', 'ignore', 'inherit'] })
  const seed: Seed = {
    url: `http://127.0.0.1:${port}/features`,
    async stop () {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('exit', resolve))
    },
  }
  const deadline = Date.now() + 20_000
  while (!(await answers(seed.url))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await seed.stop()
      throw new Error(`gunicorn did not answer on ${seed.url} (exit ${child.exitCode})`)
    }
    await sleep(100)
  }
  return seed
}

function answers (url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode === 200))
    })
    req.on('error', () => resolve(false))
    req.end()
  })
}
/* c8 ignore stop */
