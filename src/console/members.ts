// A feature set of one user or one location: its members, each with a Remove button, and a form to add
// one. Shared by the user and the location screens, whose sets differ only in their paths.

import { call } from './api.js'
import { field, h, link } from './dom.js'
import { changeText } from './format.js'
import { form } from './forms.js'
import { fail, say } from './messages.js'
import type { Members, WriteResult } from './types.js'

/** Where a set lives in the API, and what to call it. */
export interface MemberSet {
  /** "user 42", "location ES": in headings, labels and messages. */
  readonly label: string
  /** GET path of its members. */
  readonly list: string
  /** PUT and DELETE path of one member. */
  readonly member: (feature: string) => string
  /** Called after each change (other parts of the screen may show the set too). */
  readonly changed?: () => Promise<void>
}

/** Render a set's members and its add form into `root`. */
export async function membersEditor (root: HTMLElement, set: MemberSet): Promise<void> {
  const list = h('ul', { class: 'members', 'aria-label': `Features of ${set.label}` })
  const name = field('member-feature', 'feature', 'Feature name')
  root.append(
    h('h2', {}, `Features of ${set.label}`),
    list,
    form(`Add a feature to ${set.label}`, async () => {
      const feature = name.input.value.trim()
      const result = await call<WriteResult>('PUT', set.member(feature))
      name.input.value = ''
      await reload()
      say(changeText(`${set.label} ${feature}`, result))
    }, h('div', { class: 'row' }, name.wrapper, h('button', { type: 'submit' }, 'Add'))),
  )

  async function load (): Promise<void> {
    const { features } = await call<Members>('GET', set.list)
    list.replaceChildren(...features.map(item))
    if (features.length === 0) list.append(h('li', {}, 'No features of its own.'))
  }

  async function reload (): Promise<void> {
    await load()
    await set.changed?.()
  }

  function item (feature: string, index: number): HTMLLIElement {
    const remove = h('button', { type: 'button', class: 'secondary', 'aria-label': `Remove ${feature} from ${set.label}` }, 'Remove')
    remove.addEventListener('click', () => {
      call<WriteResult>('DELETE', set.member(feature))
        .then(async (result) => {
          await reload()
          say(changeText(`${set.label} ${feature}`, result))
          // The focus goes on to the next member's button (or the add field), not back to the top.
          const buttons = list.querySelectorAll('button')
          ;(buttons[Math.min(index, buttons.length - 1)] ?? name.input).focus()
        })
        .catch(fail)
    })
    return h('li', {}, link(feature, 'features', feature), ' ', remove)
  }

  await load()
}
