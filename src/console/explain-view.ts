// Explain: what /features answers a caller (a user token, or a user id), optionally from a location
// and at an instant, and for each known feature whether it is on and why. The support desk's first
// question, answered by the service's own rule (src/admin/explain.ts).

import { adminPath, call } from './api.js'
import { field, h } from './dom.js'
import { form } from './forms.js'
import type { Explanation, FeatureWhy } from './types.js'

function rolloutCell (rollout: FeatureWhy['rollout']): string {
  if (rollout === null) return '-'
  return `${rollout.percent}%, bucket ${rollout.bucket === null ? '-' : rollout.bucket}${rollout.selected ? ' (in)' : ''}`
}

function scheduleCell (schedule: FeatureWhy['schedule']): string {
  if (schedule === null) return '-'
  return !schedule.valid ? 'invalid' : schedule.open ? 'open' : 'closed'
}

function answerOf (explanation: Explanation): Node[] {
  const who = explanation.user === null ? 'an anonymous caller' : `user ${explanation.user}`
  const where = explanation.location === null ? '' : ` in ${explanation.location}`
  return [
    h('h2', {}, 'Answer'),
    h('p', {}, `For ${who}${where} at ${explanation.at}, /features answers `,
      h('code', { id: 'explain-answer' }, JSON.stringify(explanation.answer.active_features))),
    h('div', { class: 'scroll' }, h('table', { id: 'explain' },
      h('caption', {}, 'Every known feature, and why it is on or off'),
      h('thead', {}, h('tr', {}, ...['Feature', 'On', 'Why', 'Rollout', 'Schedule'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, ...explanation.features.map((f) => h('tr', {},
        h('th', { scope: 'row' }, f.name),
        h('td', {}, f.on ? 'on' : 'off'),
        h('td', {}, f.why),
        h('td', {}, rolloutCell(f.rollout)),
        h('td', {}, scheduleCell(f.schedule)),
      ))),
    )),
  ]
}

/** Render the explain screen into `root`. */
export function explainView (root: HTMLElement): void {
  const user = field('explain-user', 'user', 'User id', {}, 'Give a user id or a user token.')
  const token = field('explain-token', 'token', 'User token', { type: 'password' }, 'Used for the lookup only; never shown or logged.')
  const place = field('explain-location', 'location', 'Location (optional)', {}, 'As the edge would send it, e.g. ES.')
  const at = field('explain-at', 'at', 'At (optional)', {}, 'An instant for schedules: ISO-8601 with an offset, or epoch milliseconds. Default: now.')
  const result = h('div', { id: 'explain-result' })
  root.append(
    h('h1', {}, 'Explain'),
    form('Explain a caller', async () => {
      const body: Record<string, string> = {}
      for (const f of [user, token, place, at]) if (f.input.value.trim() !== '') body[f.input.name] = f.input.value.trim()
      result.replaceChildren(...answerOf(await call<Explanation>('POST', adminPath('explain'), body)))
    },
    h('div', { class: 'grid' }, user.wrapper, token.wrapper, place.wrapper, at.wrapper),
    h('button', { type: 'submit' }, 'Explain')),
    result,
  )
}
