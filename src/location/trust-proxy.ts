// Which peers may tell us the client's address (TRUST_PROXY), and the client address they tell.
// The list is parsed once at boot into a node:net BlockList; per request the work is one BlockList
// check for the peer and, only when the peer is trusted, a walk over X-Forwarded-For from the right.

import { BlockList, isIP } from 'node:net'

/** The proxies whose X-Forwarded-For we believe: addresses and CIDR blocks, IPv4 and IPv6. */
export interface TrustedProxies {
  /** Whether `address` (a literal IPv4 or IPv6 address) is one of the trusted proxies. */
  has (address: string): boolean
}

// BlockList matches an IPv4-mapped IPv6 peer (`::ffff:1.2.3.4`, as node reports IPv4 peers on
// dual-stack sockets) against IPv4 rules itself, so the family is all we need to find.
function familyOf (address: string): 'ipv4' | 'ipv6' | undefined {
  const version = isIP(address)
  return version === 4 ? 'ipv4' : version === 6 ? 'ipv6' : undefined
}

/**
 * Parses TRUST_PROXY's value: comma-separated IPv4/IPv6 addresses or CIDR blocks
 * (`10.0.0.0/8, 192.168.1.7, fd00::/8`). Spaces around entries are ignored.
 * @throws Error naming the bad entry and what was expected; config wraps it in a ConfigError.
 */
export function parseTrustedProxies (value: string): TrustedProxies {
  const list = new BlockList()
  for (const raw of value.split(',')) {
    const entry = raw.trim()
    const slash = entry.indexOf('/')
    const address = slash === -1 ? entry : entry.slice(0, slash)
    const family = familyOf(address)
    const maxPrefix = family === 'ipv4' ? 32 : 128
    const prefix = slash === -1 ? maxPrefix : /^\d{1,3}$/.test(entry.slice(slash + 1)) ? Number(entry.slice(slash + 1)) : NaN
    if (family === undefined || !(prefix <= maxPrefix)) {
      throw new Error(`expected comma-separated IPv4/IPv6 addresses or CIDR blocks (like 10.0.0.0/8, fd00::/8), got "${entry}"`)
    }
    // BlockList takes every form isIP accepts that we tried (zone indexes too); were it to refuse one,
    // its own error would still reach config, which wraps whatever this function throws.
    list.addSubnet(address, prefix, family)
  }
  return { has: (address) => isTrusted(list, address, isIP(address)) }
}

function isTrusted (list: BlockList, address: string, version: number): boolean {
  return version === 4 ? list.check(address, 'ipv4') : version === 6 && list.check(address, 'ipv6')
}

/**
 * The client's address: the socket peer, unless the peer is a trusted proxy. Then X-Forwarded-For is
 * walked from the right (each proxy appends the address it saw) and the first untrusted address is
 * the client. The walk ends at the last address it reached when the list runs out (every hop is
 * trusted: the leftmost entry) or when an entry is not a plain IP address (blank, with a port, a
 * name): what lies left of a malformed entry cannot be believed, so the hop that handed it to us is
 * the client. A blank header thus gives the peer.
 * @param peer the socket's remoteAddress
 * @param xff the X-Forwarded-For header (node joins repeated headers with ', ')
 */
export function clientAddress (peer: string, xff: string | undefined, trusted: TrustedProxies): string {
  if (xff === undefined || !trusted.has(peer)) return peer
  let reached = peer
  let end = xff.length
  for (;;) {
    // lastIndexOf with a negative start would still look at index 0, hence the guard.
    const comma = end === 0 ? -1 : xff.lastIndexOf(',', end - 1)
    const entry = xff.slice(comma + 1, end).trim()
    if (isIP(entry) === 0) return reached
    if (!trusted.has(entry)) return entry
    if (comma === -1) return entry
    reached = entry
    end = comma
  }
}
