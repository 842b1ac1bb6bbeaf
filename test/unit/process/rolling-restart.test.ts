// The rolling restart's order of events, with stand-in workers (no processes).

import type { Worker } from 'node:cluster'
import { EventEmitter } from 'node:events'
import t from 'tap'
import { READY } from '../../../src/process/ipc.js'
import { rollingRestart, whenReady } from '../../../src/process/rolling-restart.js'

class FakeWorker extends EventEmitter {
  dead = false
  constructor (readonly name: string) { super() }
  isDead (): boolean { return this.dead }
}
const asWorker = (w: FakeWorker): Worker => w as unknown as Worker

function harness (behaviour: (fresh: FakeWorker) => void): { events: string[], fork: () => Worker, retire: (w: Worker) => void } {
  const events: string[] = []
  let n = 0
  return {
    events,
    fork: () => {
      const fresh = new FakeWorker(`new${++n}`)
      events.push(`fork ${fresh.name}`)
      setImmediate(() => behaviour(fresh))
      return asWorker(fresh)
    },
    retire: (w) => { events.push(`retire ${(w as unknown as FakeWorker).name}`) },
  }
}

t.test('each old worker is retired only after its replacement is ready, one at a time', async (t) => {
  const h = harness((fresh) => fresh.emit('message', READY))
  const old = [new FakeWorker('old1'), new FakeWorker('old2')]
  const result = await rollingRestart(old.map(asWorker), { ...h, readyTimeoutMs: 1_000, cancelled: () => false })
  t.same(result, { replaced: 2 })
  t.same(h.events, ['fork new1', 'retire old1', 'fork new2', 'retire old2'])
})

t.test('a worker that died during the roll is skipped, not replaced twice', async (t) => {
  const h = harness((fresh) => fresh.emit('message', READY))
  const dead = new FakeWorker('old1')
  dead.dead = true
  const result = await rollingRestart([asWorker(dead), asWorker(new FakeWorker('old2'))], { ...h, readyTimeoutMs: 1_000, cancelled: () => false })
  t.same(result, { replaced: 1 })
  t.same(h.events, ['fork new1', 'retire old2'])
})

t.test('a replacement that exits before it is ready stops the roll and the old worker keeps serving', async (t) => {
  const h = harness((fresh) => { fresh.dead = true; fresh.emit('exit', 1) })
  const result = await rollingRestart([asWorker(new FakeWorker('old1')), asWorker(new FakeWorker('old2'))], { ...h, readyTimeoutMs: 1_000, cancelled: () => false })
  t.same(result, { replaced: 0, aborted: 'replacement did not become ready' })
  t.same(h.events, ['fork new1'], 'no old worker retired, the dead replacement not retired either')
})

t.test('a replacement that never gets ready is retired after the timeout and the roll stops', async (t) => {
  const h = harness(() => {})
  const result = await rollingRestart([asWorker(new FakeWorker('old1'))], { ...h, readyTimeoutMs: 50, cancelled: () => false })
  t.same(result, { replaced: 0, aborted: 'replacement did not become ready' })
  t.same(h.events, ['fork new1', 'retire new1'])
})

t.test('a shutdown during the roll stops it before the next fork', async (t) => {
  let stop = false
  const h = harness((fresh) => { stop = true; fresh.emit('message', READY) })
  const result = await rollingRestart([asWorker(new FakeWorker('old1')), asWorker(new FakeWorker('old2'))], { ...h, readyTimeoutMs: 1_000, cancelled: () => stop })
  t.same(result, { replaced: 1, aborted: 'shutdown' })
  t.same(h.events, ['fork new1', 'retire old1'])
})

t.test('whenReady ignores other messages and stops listening once settled', async (t) => {
  const w = new FakeWorker('w')
  const ready = whenReady(asWorker(w), 1_000)
  w.emit('message', { type: 'tideflags:metrics-req', id: 1 })
  w.emit('message', READY)
  t.equal(await ready, true)
  t.equal(w.listenerCount('message') + w.listenerCount('exit'), 0)
})
