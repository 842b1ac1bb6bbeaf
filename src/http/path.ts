// Request paths: the one place a request target becomes the path that routing, metrics and logs use.

/**
 * The path of a request URL, without its query string. Routing, metrics and logs all use the path
 * only: a query string could carry anything, a token included. Besides the usual origin form
 * (`/features?x`) a server must accept the absolute form (`http://host/features?x`, RFC 9112
 * §3.2.2); any other target (`*` of `OPTIONS *`) is returned as it is and matches no route.
 */
export function pathOf (url: string): string {
  if (url.charCodeAt(0) !== 47 /* '/' */) return absolutePath(url)
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

// Off the hot path: proxies send the absolute form, clients almost never do.
function absolutePath (url: string): string {
  const authority = url.indexOf('://')
  if (authority === -1) return url
  const end = url.indexOf('?', authority + 3)
  const target = end === -1 ? url : url.slice(0, end)
  const slash = target.indexOf('/', authority + 3)
  // An empty path is '/' (RFC 9112 §3.2.2: "http://host" asks for "/").
  return slash === -1 ? '/' : target.slice(slash)
}

/**
 * The path segment after `prefix` when `path` is the prefix followed by exactly one non-empty segment
 * (still percent-encoded), else undefined. The one rule for prefix routes: the router dispatches by it
 * and the metrics label by it, so a path the router answers 404 is never counted as the route.
 */
export function segmentAfter (path: string, prefix: string): string | undefined {
  if (!path.startsWith(prefix)) return undefined
  const rest = path.slice(prefix.length)
  return rest.length === 0 || rest.includes('/') ? undefined : rest
}
