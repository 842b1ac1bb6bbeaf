// A feature's schedule editor: the six fields of `schedule:<feature>` (src/core/schedule.ts), saved
// whole (PUT replaces the hash; empty fields are left out) or removed. The API checks the fields with
// the service's own parser; a refusal is shown field by field.

import { adminPath, call } from './api.js'
import { field, h } from './dom.js'
import { changeText } from './format.js'
import { form } from './forms.js'
import { say } from './messages.js'
import type { ScheduleState, WriteResult } from './types.js'

const FIELDS: readonly (readonly [name: string, label: string, hint: string])[] = [
  ['start', 'Start', 'Inclusive. ISO-8601 with an offset (2026-12-24T18:00+01:00, …Z) or epoch milliseconds.'],
  ['end', 'End', 'Exclusive, later than the start; the same forms.'],
  ['days', 'Days', 'Weekdays of the window: mon,tue,wed,thu,fri,sat,sun.'],
  ['from', 'From', 'Local time the window opens, HH:MM.'],
  ['to', 'To', 'Local time it closes, HH:MM (24:00: end of the day; before From: past midnight).'],
  ['tz', 'Time zone', 'IANA zone of the window, e.g. Europe/Madrid (default UTC).'],
]

/**
 * The schedule form of `feature`, filled with its current fields.
 * @param changed called after a write, to show the feature's new state
 */
export function scheduleForm (feature: string, current: ScheduleState | null, changed: () => Promise<void>): HTMLFormElement {
  const fields = FIELDS.map(([name, label, hint]) =>
    ({ name, ...field(`schedule-${name}`, name, label, { value: current?.fields[name] ?? '' }, hint) }))
  return form(`Schedule of ${feature}`, async (submitter) => {
    let result: WriteResult
    if (submitter instanceof HTMLButtonElement && submitter.value === 'remove') {
      result = await call<WriteResult>('DELETE', adminPath('features', feature, 'schedule'))
      for (const f of fields) f.input.value = ''
    } else {
      const body: Record<string, string> = {}
      for (const f of fields) if (f.input.value.trim() !== '') body[f.name] = f.input.value.trim()
      result = await call<WriteResult>('PUT', adminPath('features', feature, 'schedule'), body)
    }
    await changed()
    say(changeText(`${feature} schedule`, result))
  },
  h('div', { class: 'grid' }, ...fields.map((f) => f.wrapper)),
  h('div', { class: 'row' },
    h('button', { type: 'submit', value: 'save' }, 'Save schedule'),
    h('button', { type: 'submit', value: 'remove', class: 'secondary' }, 'Remove schedule'),
  ))
}
