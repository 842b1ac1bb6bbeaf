// Locations' feature sets (location:<NAME>): every location that holds a feature, and one location's
// set to view, add to and remove from. Names are upper-cased by the API, as the public path does.

import { adminPath, call } from './api.js'
import { field, h, link } from './dom.js'
import { form } from './forms.js'
import { go } from './hash.js'
import { membersEditor } from './members.js'
import type { LocationList } from './types.js'

/** Render the locations screen into `root`; with a name, that location's set. */
export async function locationView (root: HTMLElement, name?: string): Promise<void> {
  const place = field('location-name', 'location', 'Location', { value: name ?? '' }, 'As the edge sends it, e.g. ES: 1 to 64 letters, digits, _ or -.')
  root.append(
    h('h1', {}, name === undefined ? 'Locations' : `Location ${name.toUpperCase()}`),
    form('Find a location', async () => { go('locations', place.input.value.trim()) },
      h('div', { class: 'row' }, place.wrapper, h('button', { type: 'submit' }, 'Show'))),
  )
  const all = h('div')
  const loadAll = async (): Promise<void> => {
    const { locations } = await call<LocationList>('GET', adminPath('locations'))
    all.replaceChildren(locations.length === 0
      ? h('p', {}, 'No location holds a feature.')
      : h('table', {},
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Location'), h('th', { scope: 'col' }, 'Features'))),
        h('tbody', {}, ...locations.map((l) => h('tr', {},
          h('th', { scope: 'row' }, link(l.name, 'locations', l.name)),
          h('td', {}, l.features.join(', ')),
        ))),
      ))
  }
  if (name !== undefined) {
    const upper = name.toUpperCase()
    await membersEditor(root, {
      label: `location ${upper}`,
      list: adminPath('locations', name),
      member: (feature) => adminPath('locations', name, 'features', feature),
      changed: loadAll,
    })
  }
  root.append(h('h2', {}, 'Every location with features'), all)
  await loadAll()
}
