// Batch: the keys asked for in one event-loop turn go out as one call, each caller gets its own key's
// result, and a failure reaches exactly the callers it concerns.

import t from 'tap'
import { Batch } from '../../../../src/store/redis/batch.js'

/** A sender that records every call and answers each key with its upper-case form, or as told. */
function recorder (answer: (key: string) => string | Error = (key) => key.toUpperCase()) {
  const calls: string[][] = []
  const send = async (keys: readonly string[]): Promise<Array<string | Error>> => {
    calls.push([...keys])
    return keys.map(answer)
  }
  return { calls, send }
}

t.test('keys asked for in one turn share one call; each caller gets its own result', async (t) => {
  const { calls, send } = recorder()
  const batch = new Batch(send, 100)
  const results = await Promise.all(['a', 'b', 'c'].map((key) => batch.get(key)))
  t.same(results, ['A', 'B', 'C'])
  t.same(calls, [['a', 'b', 'c']])
})

t.test('the same key twice in a turn is sent once and both callers get it', async (t) => {
  const { calls, send } = recorder()
  const batch = new Batch(send, 100)
  const first = batch.get('a')
  const second = batch.get('a')
  t.equal(first, second, 'one promise for both')
  t.same(await Promise.all([first, second, batch.get('b')]), ['A', 'A', 'B'])
  t.same(calls, [['a', 'b']])
})

t.test('keys asked for in a later turn go in a later call, sent after they were asked for', async (t) => {
  const { calls, send } = recorder()
  const batch = new Batch(send, 100)
  const first = batch.get('a')
  await new Promise((resolve) => setImmediate(resolve))
  t.same(calls, [['a']], 'the first turn has been sent')
  const again = batch.get('a')
  t.not(again, first, 'a key already sent is read again, not joined')
  t.same(await Promise.all([first, again]), ['A', 'A'])
  t.same(calls, [['a'], ['a']])
})

t.test('a full batch is sent at once, without waiting for the end of the turn', async (t) => {
  const { calls, send } = recorder()
  const batch = new Batch(send, 2)
  const pending = [batch.get('a'), batch.get('b')]
  t.same(calls, [['a', 'b']], 'sent as soon as it held 2 keys')
  pending.push(batch.get('c'))
  t.same(calls, [['a', 'b']], 'the next key starts a new batch')
  t.same(await Promise.all(pending), ['A', 'B', 'C'])
  t.same(calls, [['a', 'b'], ['c']])
})

t.test("an Error in a key's place fails that key's callers only", async (t) => {
  const broken = new Error('WRONGTYPE')
  const { send } = recorder((key) => key === 'bad' ? broken : key.toUpperCase())
  const batch = new Batch(send, 100)
  const [good, bad, other] = await Promise.allSettled([batch.get('good'), batch.get('bad'), batch.get('other')])
  t.same(good, { status: 'fulfilled', value: 'GOOD' })
  t.same(bad, { status: 'rejected', reason: broken })
  t.same(other, { status: 'fulfilled', value: 'OTHER' })
})

t.test('a failed call fails every caller of its batch, and the next batch still works', async (t) => {
  const lost = new Error('Connection is closed.')
  let fail = true
  const batch = new Batch<string>(async (keys) => {
    if (fail) throw lost
    return keys.map((key) => key.toUpperCase())
  }, 100)
  const settled = await Promise.allSettled([batch.get('a'), batch.get('b')])
  t.same(settled, [{ status: 'rejected', reason: lost }, { status: 'rejected', reason: lost }])
  fail = false
  t.equal(await batch.get('a'), 'A')
})

t.test('a sender that throws instead of rejecting fails its batch the same way', async (t) => {
  const bug = new Error('thrown synchronously')
  const batch = new Batch<string>(() => { throw bug }, 100)
  await t.rejects(batch.get('a'), bug)
})

t.test('a promise in a key\'s place: its callers wait for it, the rest of the batch is answered at once', async (t) => {
  let settle!: (value: string) => void
  const later = new Promise<string>((resolve) => { settle = resolve })
  const batch = new Batch<string>(async (keys) => keys.map((key) => key === 'slow' ? later : key.toUpperCase()), 100)
  const order: string[] = []
  const slow = batch.get('slow').then((value) => { order.push(value) })
  const fast = batch.get('fast').then((value) => { order.push(value) })
  await fast
  t.same(order, ['FAST'], 'answered while the other key is still pending')
  settle('SLOW')
  await slow
  t.same(order, ['FAST', 'SLOW'])
  const failing = new Batch<string>(async () => [Promise.reject(new Error('WRONGTYPE'))], 100)
  await t.rejects(failing.get('bad'), /WRONGTYPE/, 'a rejected promise fails its callers')
})
