import t from 'tap'
import { FailureLimit } from '../../../src/admin/failure-limit.js'

function clock (): { now: () => number, advance (ms: number): void } {
  let time = 1_000_000
  return { now: () => time, advance: (ms) => { time += ms } }
}

t.test('an address is refused once it failed `limit` times within the window, until the window ends', async (t) => {
  t.plan(5)
  const c = clock()
  const limit = new FailureLimit(3, 60_000, 100, c.now)
  limit.fail('a')
  limit.fail('a')
  t.equal(limit.blockedFor('a'), 0, 'two failures: still allowed')
  c.advance(10_000)
  limit.fail('a')
  t.equal(limit.blockedFor('a'), 50_000, 'the third: refused for the rest of the window, counted from the first failure')
  t.equal(limit.blockedFor('b'), 0, 'other addresses are not affected')
  c.advance(49_999)
  t.equal(limit.blockedFor('a'), 1)
  c.advance(1)
  t.equal(limit.blockedFor('a'), 0, 'the window ended: the address starts afresh')
})

t.test('failures spread over more than a window never add up', async (t) => {
  t.plan(1)
  const c = clock()
  const limit = new FailureLimit(2, 1_000, 100, c.now)
  limit.fail('a')
  c.advance(1_000)
  limit.fail('a')
  t.equal(limit.blockedFor('a'), 0)
})

t.test('the addresses remembered are bounded: past the bound the oldest window is forgotten', async (t) => {
  t.plan(3)
  const c = clock()
  const limit = new FailureLimit(1, 60_000, 2, c.now)
  limit.fail('a')
  limit.fail('b')
  limit.fail('c')
  t.equal(limit.blockedFor('a'), 0, 'a was forgotten')
  t.ok(limit.blockedFor('b') > 0)
  t.ok(limit.blockedFor('c') > 0)
})

t.test('the real clock is the default', async (t) => {
  t.plan(1)
  const limit = new FailureLimit(1, 60_000, 10)
  limit.fail('a')
  t.ok(limit.blockedFor('a') > 59_000 && limit.blockedFor('a') <= 60_000)
})
