// The one resolution rule: what every store and route decides through.

import t from 'tap'
import { caller } from '../../../src/core/context.js'
import { evaluate, flagReasons, sortFeatures, type FlagReason, type Inputs } from '../../../src/core/evaluate.js'
import { inRollout } from '../../../src/core/rollout.js'
import { isOpen, parseSchedule, type Schedule } from '../../../src/core/schedule.js'

const global = ['feature_1', 'feature_2']

t.test('a caller with nothing of their own gets the global array itself, so its serialisation is reused', async (t) => {
  t.plan(3)
  t.equal(evaluate({ global, mine: [] }, caller('1')), global)
  t.equal(evaluate({ global, mine: ['feature_2'] }, caller('1')), global, 'a feature already global adds nothing')
  t.equal(evaluate({ global, mine: ['feature_3'] }, caller(null)), global, 'an anonymous caller has no features of their own')
})

t.test("a user's active features are added to the global ones, sorted, without duplicates", async (t) => {
  t.plan(2)
  const answer = evaluate({ global, inGlobal: new Set(global), mine: ['zeta', 'feature_2', 'alpha'] }, caller('1'))
  t.same(answer, ['alpha', 'feature_1', 'feature_2', 'zeta'])
  t.same(global, ['feature_1', 'feature_2'], 'the shared global array is not changed')
})

t.test('every known flag gets its reason, STATIC winning over TARGETING_MATCH, in sorted order', async (t) => {
  t.plan(2)
  const inputs = { global, mine: ['feature_2', 'feature_3'], active: ['feature_2', 'feature_3', 'feature_4'] }
  t.same([...flagReasons(inputs, caller('1'))], [
    ['feature_1', 'STATIC'], ['feature_2', 'STATIC'], ['feature_3', 'TARGETING_MATCH'], ['feature_4', 'DISABLED'],
  ])
  t.same([...flagReasons(inputs, caller(null))], [
    ['feature_1', 'STATIC'], ['feature_2', 'STATIC'], ['feature_3', 'DISABLED'], ['feature_4', 'DISABLED'],
  ], 'an anonymous caller: active features are known but off')
})

t.test('a flag is on in OFREP exactly when it is in the /features answer', async (t) => {
  const inputs = { global, mine: ['b', 'a'], active: ['a', 'b', 'c'] }
  for (const who of [caller('7'), caller(null)]) {
    const answer = evaluate(inputs, who)
    const on = [...flagReasons(inputs, who)].filter(([, reason]) => reason !== 'DISABLED').map(([key]) => key)
    t.same(on, answer)
  }
})

t.test('the anonymous context is shared; a user context is made per caller', async (t) => {
  t.plan(2)
  t.equal(caller(null), caller(null))
  t.same(caller('42'), { userId: '42' })
})

// Targeting. Buckets of `r50` (the public formula of src/core/rollout.ts, computed apart with Python's
// hashlib): user 1 is 4555 (in at 50%), user 4 is 5926 (out).
const rollouts = new Map([['r50', 5000], ['r100', 10_000]])

t.test("a location's active features are added for a caller with that location, anonymous or not", async (t) => {
  t.plan(4)
  t.same(evaluate({ global, mine: [], local: ['loc'] }, caller(null, 'US')), ['feature_1', 'feature_2', 'loc'])
  t.same(evaluate({ global, mine: ['loc', 'own'], local: ['loc', 'feature_1'] }, caller('1', 'US')), ['feature_1', 'feature_2', 'loc', 'own'], 'once each')
  t.equal(evaluate({ global, mine: [], local: ['loc'] }, caller(null)), global, 'no location: the set is not the caller\'s')
  t.equal(evaluate({ global, mine: [], local: ['feature_2'] }, caller(null, 'US')), global, 'nothing added: the global array itself')
})

t.test('a rollout selects users by their bucket; anonymous callers never', async (t) => {
  t.plan(4)
  t.same(evaluate({ global, mine: [], rollouts }, caller('1')), ['feature_1', 'feature_2', 'r100', 'r50'])
  t.same(evaluate({ global, mine: [], rollouts }, caller('4')), ['feature_1', 'feature_2', 'r100'])
  t.equal(evaluate({ global, mine: [], rollouts }, caller(null, 'US')), global)
  t.equal(evaluate({ global, mine: [], rollouts: new Map() }, caller('1')), global, 'an empty rollout hash is no rollout')
})

t.test('reasons: SPLIT for a flag on by the rollout only; the caller\'s own switch and global win over it', async (t) => {
  t.plan(2)
  const inputs = { global: ['g'], mine: ['r100'], local: ['loc'], rollouts: new Map([['r100', 10_000], ['r50', 5000], ['g', 10_000]]), active: ['r100', 'r50', 'loc', 'off'] }
  t.same([...flagReasons(inputs, caller('1', 'US'))], [
    ['g', 'STATIC'], ['loc', 'TARGETING_MATCH'], ['off', 'DISABLED'], ['r100', 'TARGETING_MATCH'], ['r50', 'SPLIT'],
  ])
  t.same([...flagReasons(inputs, caller('4'))], [
    ['g', 'STATIC'], ['loc', 'DISABLED'], ['off', 'DISABLED'], ['r100', 'TARGETING_MATCH'], ['r50', 'DISABLED'],
  ])
})

t.test('a feature whose schedule is closed or malformed is left out, whatever put it there, and is DISABLED', async (t) => {
  t.plan(5)
  const parsed = parseSchedule({ start: '1000', end: '2000' })
  if (!parsed.ok) throw new Error('the schedule parses')
  const schedules = new Map([['feature_1', parsed.schedule], ['mine', parsed.schedule], ['bad', null]])
  const inputs = { global: ['bad', 'feature_1', 'feature_2'], mine: ['mine', 'other'], schedules, active: ['mine', 'other'] }
  t.same(evaluate({ ...inputs, now: 1500 }, caller('1')), ['feature_1', 'feature_2', 'mine', 'other'], 'open: in; malformed: out')
  t.same(evaluate({ ...inputs, now: 2000 }, caller('1')), ['feature_2', 'other'], 'closed at its end')
  t.same(evaluate({ ...inputs, now: 999 }, caller(null)), ['feature_2'], 'global features too')
  t.same([...flagReasons({ ...inputs, now: 2000 }, caller('1'))], [
    ['bad', 'DISABLED'], ['feature_1', 'DISABLED'], ['feature_2', 'STATIC'], ['mine', 'DISABLED'], ['other', 'TARGETING_MATCH'],
  ])
  t.equal(evaluate({ global, mine: [], schedules: new Map(), now: 0 }, caller(null)), global, 'no schedules: the global array itself')
})

t.test('a location context is made per caller; without one the context has no location key', async (t) => {
  t.plan(3)
  t.same(caller(null, 'US'), { userId: null, location: 'US' })
  t.same(caller('1', 'US'), { userId: '1', location: 'US' })
  t.notOk('location' in caller('1'))
})

t.test('skipping the rollout draw where it cannot matter changes no answer and no reason (randomised against the plain rule)', async (t) => {
  // The rule written out with no shortcut: every rollout feature is drawn.
  const reference = (inputs: Inputs, userId: string): { answer: string[], reasons: Map<string, FlagReason> } => {
    const closed = (f: string): boolean => {
      const s = inputs.schedules?.get(f)
      return s !== undefined && (s === null || !isOpen(s, inputs.now ?? 0))
    }
    const rolled = [...(inputs.rollouts ?? new Map<string, number>())].filter(([f, bp]) => inRollout(f, userId, bp)).map(([f]) => f)
    const on = new Set([...inputs.global, ...inputs.mine, ...(inputs.local ?? []), ...rolled].filter((f) => !closed(f)))
    const reasons = new Map<string, FlagReason>()
    for (const f of inputs.active ?? []) reasons.set(f, 'DISABLED')
    for (const f of rolled) reasons.set(f, 'SPLIT')
    for (const f of [...inputs.mine, ...(inputs.local ?? [])]) reasons.set(f, 'TARGETING_MATCH')
    for (const f of inputs.global) reasons.set(f, 'STATIC')
    for (const f of reasons.keys()) if (closed(f)) reasons.set(f, 'DISABLED')
    return { answer: [...on].sort(), reasons }
  }
  let seed = 42
  const random = (): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31 }
  const pick = (pool: string[], n: number): string[] => pool.filter(() => random() < n / pool.length)
  const pool = Array.from({ length: 40 }, (_, i) => `f${i}`)
  const open = parseSchedule({ start: '0' })
  const shut = parseSchedule({ end: '1' })
  if (!open.ok || !shut.ok) throw new Error('fixture schedules must parse')
  let checked = 0
  for (let round = 0; round < 400; round++) {
    const active = pick(pool, 30)
    const inputs: Inputs = {
      global: sortFeatures(pick(pool, 4)),
      // Short and long own lists: both ways of skipping (a scan, or a set past SCAN_LIMIT).
      mine: pick(active, round % 2 === 0 ? 3 : 25),
      local: pick(active, 3),
      rollouts: new Map(pick(active, 12).map((f) => [f, Math.floor(random() * 10_001)])),
      schedules: new Map(pick(pool, 8).map((f): [string, Schedule | null] => [f, random() < 0.2 ? null : random() < 0.5 ? open.schedule : shut.schedule])),
      now: 1_000,
      active,
    }
    const userId = String(round)
    const want = reference(inputs, userId)
    const reasons = new Map<string, FlagReason>()
    t.same(evaluate(inputs, caller(userId, 'X'), reasons), want.answer)
    t.same(new Map([...reasons].sort()), new Map([...want.reasons].sort()))
    checked++
  }
  t.equal(checked, 400)
})
