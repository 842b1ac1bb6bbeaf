// The poll that turns a worker ready once its store answers, with the probe's answers set by the test.

import t from 'tap'
import { whenStoreAnswers } from '../../../src/store/readiness.js'

// A probe whose answers the test gives one at a time.
function scriptedProbe (): { probe: () => Promise<boolean>, calls: () => number, answer: (ok: boolean) => void } {
  const pending: Array<(ok: boolean) => void> = []
  let calls = 0
  return {
    probe: async () => await new Promise<boolean>((resolve) => { calls++; pending.push(resolve) }),
    calls: () => calls,
    answer: (ok) => { (pending.shift() as (ok: boolean) => void)(ok) },
  }
}

const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5))
}

t.test('the store is probed again until it answers, then the callback runs once and polling ends', async (t) => {
  t.plan(3)
  const p = scriptedProbe()
  let reached = 0
  whenStoreAnswers(p.probe, 5, () => { reached++ })
  await until(() => p.calls() === 1)
  p.answer(false)
  await until(() => p.calls() === 2)
  p.answer(false)
  await until(() => p.calls() === 3)
  t.equal(reached, 0, 'not before the store answers')
  p.answer(true)
  await until(() => reached === 1)
  t.equal(reached, 1, 'once it answers')
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(p.calls(), 3, 'no probe after that')
})

t.test('stopping ends the polling, even with a probe under way', async (t) => {
  t.plan(2)
  const p = scriptedProbe()
  let reached = 0
  const stop = whenStoreAnswers(p.probe, 5, () => { reached++ })
  await until(() => p.calls() === 1)
  stop()
  p.answer(true)
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(reached, 0, 'the late answer is ignored')
  t.equal(p.calls(), 1, 'no further probe')
})

t.test('stopping before the first probe means no probe at all', async (t) => {
  t.plan(1)
  const p = scriptedProbe()
  whenStoreAnswers(p.probe, 5, () => {})()
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(p.calls(), 0)
})
