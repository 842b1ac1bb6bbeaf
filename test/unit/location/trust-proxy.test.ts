// TRUST_PROXY: the list parsed at boot, and the client address walked out of X-Forwarded-For.

import t from 'tap'
import { clientAddress, parseTrustedProxies } from '../../../src/location/trust-proxy.js'

t.test('addresses and CIDR blocks of both families are trusted, and nothing outside them', async (t) => {
  const trusted = parseTrustedProxies('10.0.0.0/8, 192.168.1.7,fd00::/8 ,  2001:db8::1, 203.0.113.0/24')
  const cases: Array<[string, boolean]> = [
    ['10.0.0.1', true], ['10.255.255.255', true], ['11.0.0.0', false],
    ['192.168.1.7', true], ['192.168.1.8', false],
    ['203.0.113.200', true], ['203.0.114.1', false],
    ['fd12:3456::1', true], ['fe00::1', false],
    ['2001:db8::1', true], ['2001:db8::2', false], ['2001:DB8:0::1', true],
    ['not-an-address', false], ['', false]
  ]
  t.plan(cases.length)
  for (const [address, expected] of cases) t.equal(trusted.has(address), expected, address)
})

t.test('an IPv4 peer reported as IPv4-mapped IPv6 (::ffff:a.b.c.d) matches the IPv4 entries', async (t) => {
  t.plan(3)
  const trusted = parseTrustedProxies('10.0.0.0/8,192.0.2.1')
  t.ok(trusted.has('::ffff:10.1.2.3'))
  t.ok(trusted.has('::ffff:192.0.2.1'))
  t.notOk(trusted.has('::ffff:192.0.2.2'))
})

t.test('/0 trusts a whole family and nothing of the other', async (t) => {
  t.plan(3)
  const trusted = parseTrustedProxies('0.0.0.0/0')
  t.ok(trusted.has('198.51.100.1'))
  t.ok(trusted.has('::ffff:198.51.100.1'))
  t.notOk(trusted.has('2001:db8::1'))
})

t.test('a bad entry is refused with a message naming it and saying what was expected', async (t) => {
  // [TRUST_PROXY value, the entry the message must name]
  const bad: Array<[string, string]> = [
    ['', ''], [' ', ''], ['10.0.0.0/8,', ''], ['10.0.0.0/8,,fd00::/8', ''], ['proxy.internal', 'proxy.internal'],
    ['10.0.0.0/8, 10.0.0.0/33', '10.0.0.0/33'], ['::/129', '::/129'], ['10.0.0.0/', '10.0.0.0/'],
    ['10.0.0.0/8/8', '10.0.0.0/8/8'], ['10.0.0.0/-1', '10.0.0.0/-1'], ['10.0.0.0/1e1', '10.0.0.0/1e1'],
    ['10.0.0.0/0x8', '10.0.0.0/0x8'], ['10.0.0.1:8080', '10.0.0.1:8080'], ['[::1]', '[::1]'],
    ['10.0.0.256', '10.0.0.256'], ['010.0.0.1', '010.0.0.1'], ['2001:db8::/ 32', '2001:db8::/ 32']
  ]
  t.plan(bad.length)
  for (const [value, entry] of bad) {
    t.throws(() => parseTrustedProxies(value), {
      message: `expected comma-separated IPv4/IPv6 addresses or CIDR blocks (like 10.0.0.0/8, fd00::/8), got "${entry}"`
    }, JSON.stringify(value))
  }
})

t.test('an untrusted peer is the client, whatever X-Forwarded-For says', async (t) => {
  t.plan(3)
  const trusted = parseTrustedProxies('10.0.0.0/8')
  t.equal(clientAddress('198.51.100.7', '203.0.113.9', trusted), '198.51.100.7')
  t.equal(clientAddress('198.51.100.7', undefined, trusted), '198.51.100.7')
  t.equal(clientAddress('2001:db8::7', '10.0.0.1, 203.0.113.9', trusted), '2001:db8::7')
})

t.test('a trusted peer without X-Forwarded-For is the client', async (t) => {
  t.plan(1)
  t.equal(clientAddress('10.0.0.1', undefined, parseTrustedProxies('10.0.0.0/8')), '10.0.0.1')
})

t.test('behind trusted proxies the client is the rightmost untrusted X-Forwarded-For entry', async (t) => {
  const trusted = parseTrustedProxies('10.0.0.0/8, fd00::/8')
  const cases: Array<[string, string, string]> = [
    ['10.0.0.1', '203.0.113.9', '203.0.113.9'],
    ['10.0.0.1', '198.51.100.1, 203.0.113.9', '203.0.113.9'],
    ['10.0.0.1', '198.51.100.1, 203.0.113.9, 10.0.0.2', '203.0.113.9'],
    ['10.0.0.1', '198.51.100.1,203.0.113.9,10.0.0.2,10.9.9.9', '203.0.113.9'],
    ['10.0.0.1', '  198.51.100.1 ,   203.0.113.9  ,10.0.0.2  ', '203.0.113.9'],
    ['::ffff:10.0.0.1', '203.0.113.9', '203.0.113.9'],
    ['fd00::1', '2001:db8::9, fd00::2', '2001:db8::9'],
    ['10.0.0.1', '2001:db8::9, ::ffff:10.0.0.3', '2001:db8::9'],
    ['10.0.0.1', 'garbage, 203.0.113.9, 10.0.0.2', '203.0.113.9']
  ]
  t.plan(cases.length)
  for (const [peer, xff, expected] of cases) t.equal(clientAddress(peer, xff, trusted), expected, `${peer} / ${xff}`)
})

t.test('when every hop is trusted the leftmost X-Forwarded-For entry is the client', async (t) => {
  t.plan(2)
  const trusted = parseTrustedProxies('10.0.0.0/8')
  t.equal(clientAddress('10.0.0.1', '10.0.0.7, 10.0.0.2', trusted), '10.0.0.7')
  t.equal(clientAddress('10.0.0.1', '10.0.0.7', trusted), '10.0.0.7')
})

t.test('a malformed entry ends the walk at the hop that handed it over', async (t) => {
  const trusted = parseTrustedProxies('10.0.0.0/8')
  const cases: Array<[string, string]> = [
    ['', '10.0.0.1'],
    ['   ', '10.0.0.1'],
    ['garbage', '10.0.0.1'],
    ['203.0.113.9, garbage', '10.0.0.1'],
    ['203.0.113.9, 10.0.0.2, garbage', '10.0.0.1'],
    ['203.0.113.9, garbage, 10.0.0.2', '10.0.0.2'],
    ['203.0.113.9,, 10.0.0.2', '10.0.0.2'],
    ['203.0.113.9, 10.0.0.2,', '10.0.0.1'],
    [',10.0.0.2', '10.0.0.2'],
    [',', '10.0.0.1'],
    ['203.0.113.9:4711, 10.0.0.2', '10.0.0.2'],
    ['[2001:db8::9], 10.0.0.2', '10.0.0.2'],
    ['unknown, 10.0.0.2', '10.0.0.2']
  ]
  t.plan(cases.length)
  for (const [xff, expected] of cases) t.equal(clientAddress('10.0.0.1', xff, trusted), expected, JSON.stringify(xff))
})
