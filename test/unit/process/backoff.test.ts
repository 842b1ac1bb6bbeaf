import t from 'tap'
import { DEFAULT_BACKOFF, RestartBackoff } from '../../../src/process/backoff.js'

t.test('the first crash is replaced at once, a crash loop ever more slowly up to the cap', async (t) => {
  t.plan(6)
  const backoff = new RestartBackoff({ baseMs: 100, maxMs: 1_000, windowMs: 60_000 })
  t.equal(backoff.crashed(0), 0)
  t.equal(backoff.crashed(10), 100)
  t.equal(backoff.crashed(20), 200)
  t.equal(backoff.crashed(30), 400)
  t.equal(backoff.crashed(40), 800)
  t.equal(backoff.crashed(50), 1_000)
})

t.test('crashes older than the window are forgotten', async (t) => {
  t.plan(3)
  const backoff = new RestartBackoff({ baseMs: 100, maxMs: 1_000, windowMs: 1_000 })
  backoff.crashed(0)
  t.equal(backoff.crashed(500), 100)
  t.equal(backoff.crashed(1_400), 100, 'the crash at 0 no longer counts')
  t.equal(backoff.crashed(5_000), 0, 'a lone crash after a quiet spell is replaced at once')
})

t.test('the default backoff caps at 10 s', async (t) => {
  t.plan(1)
  const backoff = new RestartBackoff()
  let delay = 0
  for (let i = 0; i < 20; i++) delay = backoff.crashed(i)
  t.equal(delay, DEFAULT_BACKOFF.maxMs)
})
