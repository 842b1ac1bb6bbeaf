// A user's own features (features:user:<id>): find a user by id, then view, add and remove.

import { adminPath } from './api.js'
import { field, h } from './dom.js'
import { form } from './forms.js'
import { go } from './hash.js'
import { membersEditor } from './members.js'

/** Render the users screen into `root`; with an id, that user's set. */
export async function userView (root: HTMLElement, id?: string): Promise<void> {
  const user = field('user-id', 'user', 'User id', { value: id ?? '' }, 'As the users Redis maps a token to it.')
  root.append(
    h('h1', {}, id === undefined ? 'Users' : `User ${id}`),
    form('Find a user', async () => { go('users', user.input.value.trim()) },
      h('div', { class: 'row' }, user.wrapper, h('button', { type: 'submit' }, 'Show'))),
  )
  if (id === undefined) return
  await membersEditor(root, {
    label: `user ${id}`,
    list: adminPath('users', id, 'features'),
    member: (feature) => adminPath('users', id, 'features', feature),
  })
}
