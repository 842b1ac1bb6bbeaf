// Entity tags for /features answers: a hash of the body, so the same answer always has the same tag,
// on every worker and across restarts, and any change to the answer changes the tag.

import { hash } from 'node:crypto'

/** Strong ETag of a response body (a string is hashed as its UTF-8 bytes). */
export function etagOf (body: string | Buffer): string {
  // sha1 truncated to 128 bits: collision-safe for this use and quick on bodies this small.
  // crypto.hash (node >= 20.12, hence package.json's engines) is one call, ~3x faster than a Hash
  // object on bodies this small.
  return '"' + hash('sha1', body, 'base64url').slice(0, 22) + '"'
}

/**
 * Whether an If-None-Match header matches the ETag (RFC 9110 13.1.2: weak comparison, so W/ tags
 * match too; "*" matches any current representation).
 */
export function ifNoneMatch (header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  // Fast path: clients echo the tag they were given.
  if (header === etag) return true
  for (const part of header.split(',')) {
    let tag = part.trim()
    if (tag === '*') return true
    if (tag.startsWith('W/')) tag = tag.slice(2)
    if (tag === etag) return true
  }
  return false
}
