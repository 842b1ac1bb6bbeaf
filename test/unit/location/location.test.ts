// The request's location: the edge's header first, else GeoIP on the client address.

import t from 'tap'
import { openGeoIp, PACKAGED_GEOIP_DATABASE } from '../../../src/location/geoip.js'
import { isLocationName, resolveLocation, type LocationInput } from '../../../src/location/location.js'
import { parseTrustedProxies } from '../../../src/location/trust-proxy.js'

const geoip = openGeoIp(PACKAGED_GEOIP_DATABASE)
const trusted = parseTrustedProxies('10.0.0.0/8')
const req = (headers: LocationInput['headers'], remoteAddress = '193.0.6.139'): LocationInput =>
  ({ headers, socket: { remoteAddress } })

t.test('location names are 1 to 64 letters, digits, underscores and hyphens', async (t) => {
  const good = ['US', 'us', 'X', 'US-CA', 'eu_west-1', 'T1', 'A'.repeat(64)]
  const bad = ['', 'A'.repeat(65), 'US, FR', 'US ', ' US', 'U S', 'us.east', 'é', 'US\n', 'location:US', '*', 'a/b']
  t.plan(good.length + bad.length)
  for (const value of good) t.ok(isLocationName(value), `${JSON.stringify(value)} is valid`)
  for (const value of bad) t.notOk(isLocationName(value), `${JSON.stringify(value)} is not`)
})

t.test('nothing configured means no location, whatever the request carries', async (t) => {
  t.plan(1)
  t.same(resolveLocation({}, req({ 'cf-ipcountry': 'FR', 'x-forwarded-for': '8.8.8.8' })), { location: undefined, invalid: false })
})

t.test('the configured header gives the location, upper-cased', async (t) => {
  t.plan(3)
  const options = { header: 'cf-ipcountry' }
  t.same(resolveLocation(options, req({ 'cf-ipcountry': 'FR' })), { location: 'FR', invalid: false })
  t.same(resolveLocation(options, req({ 'cf-ipcountry': 'us' })), { location: 'US', invalid: false })
  t.same(resolveLocation(options, req({ 'cf-ipcountry': 'eu_west-1' })), { location: 'EU_WEST-1', invalid: false })
})

t.test('the header wins over GeoIP when both are configured and the header is present', async (t) => {
  t.plan(2)
  const options = { header: 'cf-ipcountry', geoip, trusted }
  // The peer is the RIPE NCC's address (NL); the edge says FR.
  t.same(resolveLocation(options, req({ 'cf-ipcountry': 'FR' })), { location: 'FR', invalid: false })
  t.same(resolveLocation(options, req({ 'cf-ipcountry': 'FR', 'x-forwarded-for': '8.8.8.8' }, '10.0.0.1')), { location: 'FR', invalid: false })
})

t.test('an invalid header value is no location, flagged invalid, and GeoIP is not asked', async (t) => {
  const values = ['', 'US, FR', 'United States', 'A'.repeat(65), 'US;', '../x']
  t.plan(values.length * 2 + 1)
  for (const value of values) {
    const headers = { 'cf-ipcountry': value }
    t.same(resolveLocation({ header: 'cf-ipcountry', geoip }, req(headers)), { location: undefined, invalid: true }, JSON.stringify(value))
    t.same(resolveLocation({ header: 'cf-ipcountry' }, req(headers)), { location: undefined, invalid: true }, `${JSON.stringify(value)} without GeoIP`)
  }
  // node gives an array only for set-cookie; it is no location name either.
  t.same(resolveLocation({ header: 'set-cookie' }, req({ 'set-cookie': ['US'] })), { location: undefined, invalid: true })
})

t.test('without the header, GeoIP gives the country of the socket peer', async (t) => {
  t.plan(4)
  const options = { header: 'cf-ipcountry', geoip }
  t.same(resolveLocation(options, req({})), { location: 'NL', invalid: false })
  t.same(resolveLocation({ geoip }, req({}, '2001:4860:4860::8888')), { location: 'US', invalid: false })
  t.same(resolveLocation({ geoip }, req({}, '::ffff:202.12.29.205')), { location: 'AU', invalid: false })
  t.same(resolveLocation({ geoip }, req({}, '192.168.1.1')), { location: undefined, invalid: false }, 'no record: no location, not invalid')
})

t.test('without TRUST_PROXY, X-Forwarded-For is ignored', async (t) => {
  t.plan(1)
  t.same(resolveLocation({ geoip }, req({ 'x-forwarded-for': '8.8.8.8' }, '193.0.6.139')), { location: 'NL', invalid: false })
})

t.test('behind a trusted proxy GeoIP looks up the X-Forwarded-For client, otherwise the peer', async (t) => {
  t.plan(4)
  const options = { geoip, trusted }
  t.same(resolveLocation(options, req({ 'x-forwarded-for': '8.8.8.8, 10.0.0.9' }, '10.0.0.1')), { location: 'US', invalid: false })
  t.same(resolveLocation(options, req({ 'x-forwarded-for': '8.8.8.8' }, '::ffff:10.0.0.1')), { location: 'US', invalid: false })
  t.same(resolveLocation(options, req({ 'x-forwarded-for': '8.8.8.8' }, '193.0.6.139')), { location: 'NL', invalid: false }, 'untrusted peer')
  // An array never comes from node (it joins repeated X-Forwarded-For); it is read as no header.
  t.same(resolveLocation(options, req({ 'x-forwarded-for': ['8.8.8.8'] as unknown as string }, '10.0.0.1')), { location: undefined, invalid: false })
})

t.test('a request whose socket has no address left has no GeoIP location', async (t) => {
  t.plan(1)
  t.same(resolveLocation({ geoip, trusted }, { headers: {}, socket: { remoteAddress: undefined } }), { location: undefined, invalid: false })
})
