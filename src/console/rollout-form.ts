// A feature's rollout editor: the percent of users (by a stable hash of their id) who get it while it
// is active, saved or removed. The percent goes to the API as typed: the API, not the page, decides
// what a valid percent is, and says why it is not.

import { adminPath, call } from './api.js'
import { field, h } from './dom.js'
import { changeText } from './format.js'
import { form } from './forms.js'
import { say } from './messages.js'
import type { FeatureState, WriteResult } from './types.js'

/**
 * The rollout form of `feature`, filled with its current percent.
 * @param changed called after a write, to show the feature's new state
 */
export function rolloutForm (feature: string, current: FeatureState['rollout'], changed: () => Promise<void>): HTMLFormElement {
  const percent = field('rollout-percent', 'percent', 'Percent of users', { value: current?.percent ?? '', inputmode: 'decimal' },
    '0 to 100, at most two decimals. It applies while the feature is active.')
  return form(`Rollout of ${feature}`, async (submitter) => {
    let result: WriteResult
    if (submitter instanceof HTMLButtonElement && submitter.value === 'remove') {
      result = await call<WriteResult>('DELETE', adminPath('features', feature, 'rollout'))
      percent.input.value = ''
    } else {
      result = await call<WriteResult>('PUT', adminPath('features', feature, 'rollout'), { percent: percent.input.value.trim() })
    }
    await changed()
    say(changeText(`${feature} rollout`, result))
  },
  percent.wrapper,
  h('div', { class: 'row' },
    h('button', { type: 'submit', value: 'save' }, 'Save rollout'),
    h('button', { type: 'submit', value: 'remove', class: 'secondary' }, 'Remove rollout'),
  ))
}
