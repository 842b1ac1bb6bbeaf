// The log limiter on a fake clock: which failures are logged in full, what the summaries count,
// and that its timers never hold a process open.

import t from 'tap'
import { LogLimiter } from '../../../src/observability/log-limiter.js'
import { FakeClock, type FakeTimer } from '../../helpers/fake-clock.js'

function setup (burst = 1): { clock: FakeClock, limiter: LogLimiter<string>, summaries: Array<[string, number, number]> } {
  const clock = new FakeClock()
  const summaries: Array<[string, number, number]> = []
  const limiter = new LogLimiter<string>(1_000, burst, (fields, count) => { summaries.push([fields, count, clock.now]) }, clock)
  return { clock, limiter, summaries }
}

t.test('the first failure of a kind is logged in full, the rest of the interval only counted', async (t) => {
  t.plan(3)
  const { limiter } = setup()
  t.equal(limiter.hit('a', 'first a'), true)
  t.same([1, 2, 3].map(() => limiter.hit('a', 'later a')), [false, false, false])
  t.equal(limiter.hit('b', 'first b'), true, 'another kind opens its own episode at once')
})

t.test('the first `burst` failures of an episode are logged in full, only the rest are counted', async (t) => {
  t.plan(4)
  const { clock, limiter, summaries } = setup(3)
  t.same([1, 2, 3, 4, 5].map((i) => limiter.hit('a', `a ${i}`)), [true, true, true, false, false])
  clock.advance(1_000)
  t.same(summaries, [['a 1', 2, 1_000]], 'the summary counts only the failures not logged')
  t.equal(limiter.hit('a', 'a 6'), false, 'the burst is per episode, not per interval: a long outage costs one line a second')
  clock.advance(2_000) // a summary of 1, then a quiet interval ends the episode
  t.equal(limiter.hit('a', 'a 7'), true, 'a new episode gets a new burst')
})

t.test('a steady trickle of failures keeps its episode open, a line per interval at most', async (t) => {
  t.plan(1)
  const { clock, limiter, summaries } = setup()
  const full: boolean[] = []
  for (let i = 0; i < 5; i++) {
    full.push(limiter.hit('a', `a ${i}`))
    clock.advance(1_000)
  }
  t.same([full, summaries.map(([, count]) => count)], [[true, false, false, false, false], [1, 1, 1, 1]])
})

t.test('while failures go on, each interval ends with one summary of its count and the fields of the first', async (t) => {
  t.plan(2)
  const { clock, limiter, summaries } = setup()
  limiter.hit('a', 'first a')
  for (let i = 0; i < 5; i++) limiter.hit('a', 'later a')
  clock.advance(1_000)
  for (let i = 0; i < 7; i++) limiter.hit('a', 'later a')
  clock.advance(1_000)
  t.same(summaries, [['first a', 5, 1_000], ['first a', 7, 2_000]])
  t.equal(limiter.hit('a', 'later a'), false, 'the episode is still open after a busy interval')
})

t.test('a quiet interval ends the episode: the next failure is logged in full again', async (t) => {
  t.plan(3)
  const { clock, limiter, summaries } = setup()
  limiter.hit('a', 'first a')
  limiter.hit('a', 'later a')
  clock.advance(1_000) // summary of 1
  clock.advance(1_000) // nothing happened: episode over
  t.same(summaries, [['first a', 1, 1_000]])
  t.equal(clock.timers.length, 0, 'no timer is left behind once every episode ended')
  t.equal(limiter.hit('a', 'again a'), true)
})

t.test('a single failure writes no summary at all', async (t) => {
  t.plan(2)
  const { clock, limiter, summaries } = setup()
  limiter.hit('a', 'only a')
  clock.advance(10_000)
  t.same(summaries, [])
  t.equal(clock.timers.length, 0)
})

t.test('every timer the limiter sets is unref\'d, so it never keeps a closing process alive', async (t) => {
  t.plan(2)
  const { clock, limiter } = setup()
  const seen: FakeTimer[] = []
  const original = clock.setTimeout.bind(clock)
  clock.setTimeout = (fn, ms) => {
    const handle = original(fn, ms)
    seen.push(clock.timers[clock.timers.length - 1] as FakeTimer)
    return handle
  }
  limiter.hit('a', 'first a')
  limiter.hit('a', 'later a')
  clock.advance(1_000) // re-armed after the summary
  t.equal(seen.length, 2)
  t.ok(seen.every((timer) => timer.unref))
})

t.test('by default the limiter runs on real timers, which hold no process open', async (t) => {
  t.plan(2)
  const timeouts = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length
  const summaries: number[] = []
  const limiter = new LogLimiter<string>(20, 1, (_fields, count) => { summaries.push(count) })
  const before = timeouts()
  limiter.hit('a', 'first a')
  limiter.hit('a', 'later a')
  t.equal(timeouts(), before, 'the armed timer is not among the resources keeping the event loop alive')
  for (let i = 0; i < 500 && summaries.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10))
  t.same(summaries, [1])
})
