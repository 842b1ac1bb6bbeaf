// The console's address is the URL's fragment: `#/features/feature_3`, `#/users/42`, `#/audit/<before>`.
// The page itself is one file; the fragment never reaches the server, so a view's address holds no
// secret and costs no request, and Back and Forward move between views.

/** The fragment's path segments, decoded: `#/users/4%2F2` -> ['users', '4/2']. */
export function segments (): string[] {
  const path = location.hash.replace(/^#\/?/, '')
  if (path === '') return []
  return path.split('/').map((part) => {
    try {
      return decodeURIComponent(part)
    } catch {
      return part
    }
  })
}

/** Go to a view; going to the view already shown draws it again (fresh data). */
export function go (...path: readonly string[]): void {
  const hash = '#/' + path.map(encodeURIComponent).join('/')
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'))
  else location.hash = hash
}
