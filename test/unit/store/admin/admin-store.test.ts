import t from 'tap'
import { afterOf, compareIds, describe, setKey, sortedFields } from '../../../../src/store/admin/admin-store.js'

t.test('each change names its action and target in the Redis key layout', async (t) => {
  t.plan(8)
  t.same(describe({ kind: 'member', set: { kind: 'global' }, feature: 'f', present: true }), { action: 'global.add', target: 'global_features f' })
  t.same(describe({ kind: 'member', set: { kind: 'active' }, feature: 'f', present: false }), { action: 'active.remove', target: 'active_features f' })
  t.same(describe({ kind: 'member', set: { kind: 'user', id: '4 2' }, feature: 'f', present: true }), { action: 'user.add', target: 'features:user:4 2 f' })
  t.same(describe({ kind: 'member', set: { kind: 'location', name: 'ES' }, feature: 'f', present: false }), { action: 'location.remove', target: 'location:ES f' })
  t.same(describe({ kind: 'rollout', feature: 'f', percent: '5' }), { action: 'rollout.set', target: 'rollout f' })
  t.same(describe({ kind: 'rollout', feature: 'f', percent: null }), { action: 'rollout.delete', target: 'rollout f' })
  t.same(describe({ kind: 'schedule', feature: 'f', fields: { days: 'mon' } }), { action: 'schedule.set', target: 'schedule:f' })
  t.same(describe({ kind: 'schedule', feature: 'f', fields: null }), { action: 'schedule.delete', target: 'schedule:f' })
})

t.test('the value a change leaves, schedule fields sorted by name', async (t) => {
  t.plan(5)
  t.equal(afterOf({ kind: 'member', set: { kind: 'global' }, feature: 'f', present: false }), false)
  t.equal(afterOf({ kind: 'rollout', feature: 'f', percent: '5' }), '5')
  t.same(JSON.stringify(afterOf({ kind: 'schedule', feature: 'f', fields: { tz: 'UTC', days: 'mon' } })), '{"days":"mon","tz":"UTC"}')
  t.equal(afterOf({ kind: 'schedule', feature: 'f', fields: null }), null)
  t.same(Object.keys(sortedFields({ to: '1', end: '2', from: '3' })), ['end', 'from', 'to'])
})

t.test('entry ids compare by time, then by sequence, as numbers', async (t) => {
  t.plan(4)
  t.ok(compareIds('999-0', '1000-0') < 0)
  t.ok(compareIds('1000-10', '1000-9') > 0)
  t.equal(compareIds('1000-1', '1000-1'), 0)
  t.equal(setKey({ kind: 'user', id: '7' }), 'features:user:7')
})
