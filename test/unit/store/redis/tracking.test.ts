// The client-side cache's bookkeeping, without Redis: tickets, invalidation, bounds.

import t from 'tap'
import { TrackedCache } from '../../../../src/store/redis/tracking.js'

t.test('nothing is stored while the cache is off, and everything is stored once it is on', async (t) => {
  t.plan(3)
  const cache = new TrackedCache<string>(10)
  t.equal(cache.ticket(), -1, 'an off cache hands out the refusing ticket')
  cache.set('a', '1', cache.ticket())
  t.equal(cache.get('a'), undefined)
  cache.enable()
  cache.set('a', '1', cache.ticket())
  t.equal(cache.get('a'), '1')
})

t.test('a read that crossed an invalidation is not stored: its value may predate the change', async (t) => {
  t.plan(2)
  const cache = new TrackedCache<string>(10)
  cache.enable()
  const ticket = cache.ticket()
  cache.invalidate(['some-other-key'])
  cache.set('a', 'old', ticket)
  t.equal(cache.get('a'), undefined)
  cache.set('a', 'new', cache.ticket())
  t.equal(cache.get('a'), 'new')
})

t.test('an invalidation drops its keys; a shared key or a null message drops everything', async (t) => {
  t.plan(5)
  const cache = new TrackedCache<string | null>(10, ['global'])
  cache.enable()
  for (const key of ['a', 'b', 'c']) cache.set(key, key, cache.ticket())
  cache.set('unknown', null, cache.ticket())
  t.equal(cache.get('unknown'), null, 'a cached null is an answer (unknown token), not a miss')
  cache.invalidate(['a'])
  t.same([cache.get('a'), cache.get('b')], [undefined, 'b'])
  cache.invalidate(['global'])
  t.equal(cache.size, 0, 'a shared input changed')
  cache.set('b', 'b', cache.ticket())
  cache.invalidate(null)
  t.equal(cache.size, 0, 'FLUSHDB or tracking overflow')
  cache.set('b', 'b', cache.ticket())
  cache.disable()
  t.same([cache.size, cache.ticket()], [0, -1], 'a dropped connection flushes and turns the cache off')
})

t.test('the cache never holds more than its bound: the oldest entry goes first', async (t) => {
  t.plan(3)
  const cache = new TrackedCache<number>(2)
  cache.enable()
  for (let i = 0; i < 3; i++) cache.set(`k${i}`, i, cache.ticket())
  t.equal(cache.size, 2)
  t.equal(cache.get('k0'), undefined)
  t.same([cache.get('k1'), cache.get('k2')], [1, 2])
})

t.test('a key under a shared prefix drops everything; a read refused in flight is not stored', async (t) => {
  t.plan(4)
  const cache = new TrackedCache<string>(10, ['global'], ['schedule:'])
  cache.enable()
  for (const key of ['a', 'b']) cache.set(key, key, cache.ticket())
  cache.invalidate(['scheduler'])
  t.equal(cache.size, 2, 'a key that only starts like the prefix word is not under it')
  cache.invalidate(['schedule:feature_1'])
  t.equal(cache.size, 0, 'any feature\'s schedule may bear on any answer')
  const ticket = cache.ticket()
  cache.refuseInFlight()
  cache.set('a', 'clocked', ticket)
  t.equal(cache.get('a'), undefined, 'an answer read under a schedule changes with the clock: not stored')
  cache.set('a', 'a', cache.ticket())
  t.equal(cache.get('a'), 'a', 'later reads are stored again')
})
