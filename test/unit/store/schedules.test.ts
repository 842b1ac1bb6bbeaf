// The stores' schedule parsing: once per distinct content, malformed ones closed, logged and counted once.

import t from 'tap'
import { pino } from 'pino'
import { Schedules } from '../../../src/store/schedules.js'
import { isOpen } from '../../../src/core/schedule.js'

function setup (): { schedules: Schedules, lines: Record<string, unknown>[], counted: () => number } {
  const lines: Record<string, unknown>[] = []
  let count = 0
  const log = pino({ level: 'warn' }, { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>) } })
  return { schedules: new Schedules(log, () => { count++ }), lines, counted: () => count }
}

t.test('no schedules read: one shared empty map', async (t) => {
  t.plan(2)
  const { schedules } = setup()
  t.equal(schedules.parse([]).size, 0)
  t.equal(schedules.parse([]), schedules.parse([]))
})

t.test('a well-formed hash parses to its schedule; the same content is not parsed again', async (t) => {
  t.plan(4)
  const { schedules, lines } = setup()
  const raw = [{ feature: 'f', pairs: ['start', '1000', 'end', '2000'] }]
  const first = schedules.parse(raw).get('f')
  t.ok(first !== null && first !== undefined && isOpen(first, 1000) && !isOpen(first, 2000), 'start inclusive, end exclusive')
  t.equal(schedules.parse([{ feature: 'f', pairs: ['start', '1000', 'end', '2000'] }]).get('f'), first, 'the same object: parsed once')
  t.not(schedules.parse([{ feature: 'f', pairs: ['start', '1000', 'end', '3000'] }]).get('f'), first, 'a new content is parsed anew')
  t.equal(lines.length, 0)
})

t.test('a malformed hash is null (closed), logged and counted once per distinct content', async (t) => {
  t.plan(6)
  const { schedules, lines, counted } = setup()
  const bad = { feature: 'f', pairs: ['start', 'soon'] }
  t.equal(schedules.parse([bad]).get('f'), null)
  t.equal(schedules.parse([bad, { feature: 'g', pairs: ['start', 'soon'] }]).get('g'), null, 'the same bad value on another feature')
  t.equal(counted(), 2, 'one count per feature and value')
  t.same(lines.map((line) => [line.key, Object.keys(line.errors as object)]), [['schedule:f', ['start']], ['schedule:g', ['start']]],
    'each line names the key and the bad field')
  schedules.parse([bad])
  t.equal(counted(), 2, 'read again: not counted again')
  t.equal(lines.length, 2, 'nor logged again')
})

t.test('a __proto__ field is an unknown field, not a prototype: the schedule is malformed', async (t) => {
  t.plan(2)
  const { schedules, lines } = setup()
  t.equal(schedules.parse([{ feature: 'f', pairs: ['__proto__', 'x'] }]).get('f'), null)
  t.same(Object.keys(lines[0]?.errors as object), ['__proto__'])
})
