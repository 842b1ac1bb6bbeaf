import t from 'tap'
import { featureStates, knownFeatures } from '../../../src/admin/feature-states.js'

const NOW = Date.UTC(2026, 5, 1, 12) // a Monday

t.test('every feature in global, active, a location, a schedule or a rollout is listed once, with its state', async (t) => {
  t.plan(2)
  const snapshot = {
    now: NOW,
    global: new Set(['g']),
    active: new Set(['a', 'g']),
    locations: new Map([['ES', ['l', 'a']], ['DE', ['l']]]),
    schedules: new Map([['s', { days: 'mon' }], ['bad', { days: 'someday' }]]),
    rollout: new Map([['r', '25'], ['a', 'x']]),
    user: undefined,
  }
  t.same(knownFeatures(snapshot), ['a', 'bad', 'g', 'l', 'r', 's'])
  t.same(featureStates(snapshot), [
    { name: 'a', global: false, active: true, schedule: null, rollout: { percent: 'x', valid: false }, locations: ['ES'] },
    {
      name: 'bad', global: false, active: false, rollout: null, locations: [],
      schedule: { fields: { days: 'someday' }, valid: false, open: false, errors: { days: 'expected a comma-separated list of mon, tue, wed, thu, fri, sat, sun' } },
    },
    { name: 'g', global: true, active: true, schedule: null, rollout: null, locations: [] },
    { name: 'l', global: false, active: false, schedule: null, rollout: null, locations: ['DE', 'ES'] },
    { name: 'r', global: false, active: false, schedule: null, rollout: { percent: '25', valid: true }, locations: [] },
    { name: 's', global: false, active: false, schedule: { fields: { days: 'mon' }, valid: true, open: true }, rollout: null, locations: [] },
  ])
})
