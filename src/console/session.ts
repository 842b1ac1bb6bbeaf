// The admin token, kept for this tab only: sessionStorage is per tab and is cleared when the tab
// closes, so the token is never written where another tab, or the next person at the machine, finds it.

const KEY = 'tideflags.adminToken'

/** The signed-in token, or null. */
export function token (): string | null {
  return sessionStorage.getItem(KEY)
}

export function signIn (value: string): void {
  sessionStorage.setItem(KEY, value)
}

export function signOut (): void {
  sessionStorage.removeItem(KEY)
}
