// The one resolution rule: what every store and route decides through.

import t from 'tap'
import { caller } from '../../../src/core/context.js'
import { evaluate, flagReasons } from '../../../src/core/evaluate.js'

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
