// README: "Tokens are never logged". Real Redis errors of every kind, provoked while a request with a
// token is in flight, through GET /features and OFREP, with the service's real logger writing to a
// captured stream: the token appears nowhere in the whole output, yet each error was logged.

import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { startLoggedApp } from '../../helpers/logged-app.js'
import { RedisServer } from '../../helpers/redis-server.js'

// One app per case: each starts with a fresh log limiter, so each case's first failure is logged in
// full (the lines that carry an error, the ones that could leak).
const COMMAND_TIMEOUT = { REDIS_COMMAND_TIMEOUT_MS: '200' }

type Route = (url: string, token: string) => Promise<number>

const ROUTES: Record<string, Route> = {
  'GET /features': async (url, token) => {
    const res = await fetch(`${url}/features`, { headers: { authorization: `Bearer ${token}` } })
    await res.arrayBuffer()
    return res.status
  },
  'OFREP bulk': async (url, token) => {
    const res = await fetch(`${url}/ofrep/v1/evaluate/flags`, {
      method: 'POST',
      body: JSON.stringify({ context: {} }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    })
    await res.arrayBuffer()
    return res.status
  },
}

interface Case {
  readonly name: string
  readonly status: number
  /** What the logged error's message says (proof the failure was logged, so the test is not vacuous). */
  readonly logged: RegExp
  /** Break Redis for `token`; returns the undo. */
  readonly provoke: (users: RedisServer, features: RedisServer, token: string) => Promise<() => Promise<void>>
}

const CASES: Case[] = [
  {
    name: 'BUSY from the users Redis while a long script runs',
    status: 503,
    logged: /^BUSY/,
    async provoke (users) {
      const admin = users.client()
      await admin.config('SET', 'busy-reply-threshold', '100')
      const looper = users.client()
      const done = looper.eval('local s=tonumber(redis.call("TIME")[1]) while tonumber(redis.call("TIME")[1])-s<2 do end return 1', 0)
      // Wait until Redis really answers BUSY, rather than guessing how long the script takes to start.
      for (let i = 0; i < 200; i++) {
        if (await admin.ping().then(() => false, (err: Error) => err.message.startsWith('BUSY'))) break
        await sleep(10)
      }
      return async () => {
        await done
        await admin.config('SET', 'busy-reply-threshold', '5000')
        admin.disconnect()
        looper.disconnect()
      }
    },
  },
  {
    name: 'WRONGTYPE from a token key that holds a list',
    status: 500,
    logged: /^WRONGTYPE/,
    async provoke (users, _features, token) {
      const admin = users.client()
      await admin.rpush(`token:${token}`, 'not-a-user-id')
      return async () => { await admin.del(`token:${token}`); admin.disconnect() }
    },
  },
  {
    name: 'WRONGTYPE from a features:user key that holds a list',
    status: 500,
    logged: /WRONGTYPE/,
    async provoke (users, features, token) {
      const u = users.client()
      const f = features.client()
      await u.set(`token:${token}`, '42')
      await f.rpush('features:user:42', 'not-a-set')
      return async () => {
        await u.del(`token:${token}`)
        await f.del('features:user:42')
        u.disconnect()
        f.disconnect()
      }
    },
  },
  {
    name: 'a timeout while the users Redis is frozen',
    status: 503,
    logged: /timed out/,
    async provoke (users) {
      users.pause()
      return async () => { users.resume() }
    },
  },
  {
    name: 'a refused connection once the users Redis is gone',
    status: 503,
    logged: /writeable|closed|ECONNREFUSED/i,
    async provoke (users) {
      await users.kill()
      return async () => { await users.start() }
    },
  },
]

for (const [routeName, route] of Object.entries(ROUTES)) {
  t.test(`through ${routeName}, no Redis error puts the caller's token into the log, and every one is logged`, async (t) => {
    const users = await new RedisServer().start()
    const features = await new RedisServer().start()
    t.teardown(async () => { await Promise.all([users.stop(), features.stop()]) })
    t.plan(CASES.length)
    for (const [i, c] of CASES.entries()) {
      await t.test(c.name, async (t) => {
        t.plan(4)
        const token = `SeCrEt-${i}-${routeName.length}`
        const app = await startLoggedApp(users, features, COMMAND_TIMEOUT)
        const undo = await c.provoke(users, features, token)
        let status
        try {
          status = await route(app.url, token)
        } finally {
          await undo()
        }
        t.equal(status, c.status, 'the request failed as this fault should make it')
        const failures = app.lines().filter((line) => line.msg === 'request failed' || line.msg === 'unexpected error')
        t.equal(failures.length, 1, 'the failure was logged')
        t.match(failures[0], { err: { message: c.logged } }, 'with the error that caused it')
        await app.close()
        t.notOk(app.output().includes(token), `the token is nowhere in the log output:\n${app.output()}`)
      })
    }
  })
}
