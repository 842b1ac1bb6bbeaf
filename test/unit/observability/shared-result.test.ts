import t from 'tap'
import { shareRecent, type Dated } from '../../../src/observability/shared-result.js'

// A gather whose runs are counted and settled by the test.
function gatherer (): { gather: () => Promise<Dated<number>>, runs: () => number, settle: (at: number) => void, fail: () => void } {
  let runs = 0
  let resolve: (value: Dated<number>) => void = () => {}
  let reject: (err: Error) => void = () => {}
  return {
    gather: async () => await new Promise<Dated<number>>((res, rej) => { runs++; resolve = res; reject = rej }),
    runs: () => runs,
    settle: (at) => resolve({ value: runs, at }),
    fail: () => reject(new Error('gather failed')),
  }
}

t.test('callers that ask while a gathering runs share it', async (t) => {
  t.plan(2)
  const g = gatherer()
  const shared = shareRecent(g.gather, 1_000, () => 0)
  const answers = Array.from({ length: 50 }, async () => await shared())
  g.settle(0)
  const values = (await Promise.all(answers)).map((a) => a.value)
  t.equal(g.runs(), 1, 'one gathering for 50 callers')
  t.same(new Set(values), new Set([1]), 'all got its result')
})

t.test('a result is reused while younger than the max age, then gathered afresh', async (t) => {
  t.plan(4)
  const g = gatherer()
  let clock = 10_000
  const shared = shareRecent(g.gather, 1_000, () => clock)
  const first = shared()
  g.settle(10_000)
  t.equal((await first).value, 1)
  clock = 10_999
  t.equal((await shared()).value, 1, 'reused just under the max age')
  clock = 11_000
  const second = shared()
  g.settle(11_000)
  t.equal((await second).value, 2, 'gathered again at the max age')
  t.equal(g.runs(), 2)
})

t.test('a failed gathering is not kept: the next caller gathers again', async (t) => {
  t.plan(3)
  const g = gatherer()
  const shared = shareRecent(g.gather, 1_000, () => 0)
  const first = shared()
  g.fail()
  await t.rejects(first, { message: 'gather failed' })
  const second = shared()
  g.settle(0)
  t.equal((await second).value, 2)
  t.equal(g.runs(), 2)
})

t.test('by default the age is measured on the wall clock', async (t) => {
  t.plan(2)
  let runs = 0
  const shared = shareRecent(async () => ({ value: ++runs, at: Date.now() - 5_000 }), 1_000)
  t.equal((await shared()).value, 1)
  t.equal((await shared()).value, 2, 'a result gathered 5 s ago is too old for a 1 s max age')
})
