// The features screen: every known feature with its global and active switches, its schedule, its
// rollout and the locations that hold it; a form to switch a new feature on. Each switch is one PUT
// or DELETE; the table is then read again, since a change can make a feature known or unknown.
// A feature that stops being known (retired: no longer active, nor anywhere else the listing looks)
// keeps its row while the screen is open, so that the change can be undone where it was made and the
// keyboard focus is not lost with the row.

import { adminPath, call } from './api.js'
import { field, h, link } from './dom.js'
import { changeText, rolloutText, scheduleText } from './format.js'
import { form } from './forms.js'
import { fail, say } from './messages.js'
import type { FeatureList, FeatureState, WriteResult } from './types.js'

type SetName = 'global' | 'active'

/** Render the features screen into `root`. */
export async function featuresView (root: HTMLElement): Promise<void> {
  const region = h('div', { class: 'scroll' })
  /** Every name this screen has shown, and those of them the listing no longer has. */
  const shown = new Set<string>()
  const retired = new Set<string>()
  const name = field('new-feature', 'feature', 'Feature name', {}, 'Letters, digits, _ . : or -, up to 128.')
  const set = h('select', { id: 'new-feature-set', name: 'set' },
    h('option', { value: 'active' }, 'active_features (targeted: users, locations, rollout)'),
    h('option', { value: 'global' }, 'global_features (everyone)'),
  )
  root.append(
    h('h1', {}, 'Features'),
    form('Switch a feature on', async () => {
      const feature = name.input.value.trim()
      const where = set.value as SetName
      const result = await call<WriteResult>('PUT', adminPath('features', feature, where))
      name.input.value = ''
      await load()
      say(changeText(`${feature} ${where}`, result))
    },
    h('div', { class: 'row' },
      name.wrapper,
      h('div', { class: 'field' }, h('label', { for: 'new-feature-set' }, 'Add to'), set),
      h('button', { type: 'submit' }, 'Add'),
    )),
    h('p', {}, 'Follow a feature\'s name to edit its schedule and rollout.'),
    region,
  )

  /** Read the list and draw it; the control that had the focus keeps it. */
  async function load (): Promise<void> {
    const list = await call<FeatureList>('GET', adminPath('features'))
    const focused = document.activeElement instanceof HTMLElement ? document.activeElement.dataset.key : undefined
    region.replaceChildren(table(list))
    if (focused === undefined) return
    Array.from(region.querySelectorAll<HTMLElement>('[data-key]')).find((e) => e.dataset.key === focused)?.focus()
  }

  function table (list: FeatureList): HTMLTableElement {
    return h('table', { id: 'features' },
      h('caption', {}, `Every known feature, at ${list.now}`),
      h('thead', {}, h('tr', {},
        ...['Feature', 'Global', 'Active', 'Schedule', 'Rollout', 'Locations'].map((title) => h('th', { scope: 'col' }, title)),
      )),
      h('tbody', {}, ...withRetired(list.features).map(row)),
    )
  }

  /** The listed features, and those shown before that the listing no longer has, by name. */
  function withRetired (listed: readonly FeatureState[]): FeatureState[] {
    const known = new Set(listed.map((f) => f.name))
    retired.clear()
    for (const name of shown) if (!known.has(name)) retired.add(name)
    for (const name of known) shown.add(name)
    const rows = [...listed, ...Array.from(retired, (name): FeatureState => ({ name, global: false, active: false, schedule: null, rollout: null, locations: [] }))]
    // The API's own order: by UTF-16 code units.
    return rows.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  }

  function row (feature: FeatureState): HTMLTableRowElement {
    const locations = feature.locations.flatMap((place, i) => [i > 0 ? ', ' : '', link(place, 'locations', place)])
    return h('tr', {},
      h('th', { scope: 'row' }, link(feature.name, 'features', feature.name),
        retired.has(feature.name) && h('span', { class: 'note' }, ' no longer known')),
      h('td', {}, toggle(feature, 'global')),
      h('td', {}, toggle(feature, 'active')),
      h('td', {}, scheduleText(feature.schedule)),
      h('td', {}, rolloutText(feature.rollout)),
      h('td', {}, ...(locations.length === 0 ? ['-'] : locations)),
    )
  }

  function toggle (feature: FeatureState, which: SetName): HTMLInputElement {
    const box = h('input', { type: 'checkbox', 'aria-label': `${feature.name} ${which}`, checked: feature[which] })
    box.dataset.key = `${which} ${feature.name}`
    let busy = false
    box.addEventListener('change', () => {
      // Not `disabled` while the call runs: disabling the focused box would throw the focus away.
      if (busy) {
        box.checked = !box.checked
        return
      }
      busy = true
      const on = box.checked
      call<WriteResult>(on ? 'PUT' : 'DELETE', adminPath('features', feature.name, which))
        .then(async (result) => {
          await load()
          say(changeText(`${feature.name} ${which}`, result))
        })
        .catch((err: unknown) => {
          box.checked = !on
          fail(err)
        })
        .finally(() => { busy = false })
    })
    return box
  }

  await load()
}
