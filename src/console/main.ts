// The console's entry (bundled to console.js by `npm run build`): the frame around the views. Signed
// out, it shows the sign-in form; signed in, the section links and the view the address names. Each
// view draws into a fresh section, so a slow answer for a view already left lands nowhere.

import { whenUnauthorized } from './api.js'
import { auditView } from './audit-view.js'
import { byId, focusHeading, h } from './dom.js'
import { explainView } from './explain-view.js'
import { featureView } from './feature-view.js'
import { featuresView } from './features-view.js'
import { segments } from './hash.js'
import { locationView } from './location-view.js'
import { clearMessages, fail, say } from './messages.js'
import { signInView } from './sign-in.js'
import { signOut, token } from './session.js'
import { userView } from './user-view.js'

/** The views by the fragment's first segment; the second, when present, is what they show. */
const VIEWS: ReadonlyMap<string, (root: HTMLElement, which?: string) => Promise<void> | void> = new Map([
  ['features', (root: HTMLElement, name?: string) => name === undefined ? featuresView(root) : featureView(root, name)],
  ['users', userView],
  ['locations', locationView],
  ['audit', auditView],
  ['explain', explainView],
])

/**
 * Draw the page for the current address.
 * @param reason shown on the sign-in form (why the console signed out)
 * @param moved the address changed (or the console signed in or out): the focus goes to the new view
 */
async function render (reason?: string, moved = false): Promise<void> {
  const root = h('section')
  byId('main').replaceChildren(root)
  const signedIn = token() !== null
  byId('nav').hidden = !signedIn
  byId('sign-out').hidden = !signedIn
  if (!signedIn) {
    signInView(root, () => {
      clearMessages()
      void render(undefined, true)
    }, reason)
    if (moved) focusHeading(root)
    return
  }
  const [name = 'features', which] = segments()
  for (const a of byId('nav').querySelectorAll('a')) {
    if (a.getAttribute('href') === `#/${name}`) a.setAttribute('aria-current', 'page')
    else a.removeAttribute('aria-current')
  }
  const view = VIEWS.get(name) ?? ((into: HTMLElement) => { into.append(h('h1', {}, 'No such view'), h('p', {}, 'Choose a section above.')) })
  // A view draws its heading before it waits for data: the focus goes there at once, so a screen
  // reader names the new view while its data loads.
  const drawn = view(root, which === '' ? undefined : which)
  if (moved) focusHeading(root)
  try {
    await drawn
  } catch (err) {
    fail(err)
  }
}

whenUnauthorized((err) => {
  signOut()
  void render(`Signed out: the service refused the token (${err.message}). Sign in again.`, true)
})
byId('sign-out').addEventListener('click', () => {
  signOut()
  void render(undefined, true).then(() => say('Signed out.'))
})
window.addEventListener('hashchange', () => {
  clearMessages()
  void render(undefined, true)
})
void render()
