// The sign-in screen: an admin token (a line of ADMIN_TOKENS_FILE), tried against the API before it is
// kept, so a wrong token is refused here, with the API's message, and never stored.

import { adminPath, ApiError, request } from './api.js'
import { append, field, h } from './dom.js'
import { form } from './forms.js'
import { signIn } from './session.js'
import type { FeatureList } from './types.js'

/**
 * Render the sign-in form into `root`.
 * @param reason why the console is asking (a token that stopped working), shown above the form
 */
export function signInView (root: HTMLElement, signedIn: () => void, reason?: string): void {
  const token = field('token', 'token', 'Admin token', { type: 'password', required: true },
    'Created with tideflags token create; kept in this tab only, until it closes or you sign out.')
  append(root, [
    h('h1', {}, 'Sign in'),
    reason !== undefined && h('p', { class: 'notice' }, reason),
    form('Sign in', async () => {
      const value = token.input.value.trim()
      if (value === '') throw new ApiError(0, 'empty', 'Enter an admin token', { token: 'Enter an admin token' })
      try {
        // Any read proves the token; this one is the first screen's data anyway.
        await request<FeatureList>(value, 'GET', adminPath('features'))
      } catch (err) {
        if (!(err instanceof ApiError) || err.status === 0) throw err
        const message = `Sign-in refused: ${err.message}`
        throw new ApiError(err.status, err.key, message, { token: message })
      }
      signIn(value)
      signedIn()
    }, token.wrapper, h('button', { type: 'submit' }, 'Sign in')),
  ])
}
