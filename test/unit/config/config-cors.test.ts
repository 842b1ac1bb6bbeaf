// CORS_ORIGINS in the configuration: unset by default, `*`, or a list of exact origins checked at boot.

import t from 'tap'
import { DEFAULTS, loadConfig } from '../../../src/config/config.js'
import { ConfigError } from '../../../src/errors.js'

t.test('CORS is off unless CORS_ORIGINS is set, and an empty value counts as unset', async (t) => {
  t.plan(3)
  t.equal(DEFAULTS.corsOrigins, undefined)
  t.equal(loadConfig({}).corsOrigins, undefined)
  t.equal(loadConfig({ CORS_ORIGINS: '' }).corsOrigins, undefined)
})

t.test('* alone allows any origin', async (t) => {
  t.plan(2)
  t.equal(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins, '*')
  t.equal(loadConfig({ CORS_ORIGINS: ' * ' }).corsOrigins, '*')
})

t.test('a comma-separated list gives its origins, trimmed, once each, frozen', async (t) => {
  t.plan(2)
  const origins = loadConfig({ CORS_ORIGINS: 'https://app.example.com, http://127.0.0.1:8080,https://app.example.com , http://[::1]:3000' }).corsOrigins
  t.same(origins, ['https://app.example.com', 'http://127.0.0.1:8080', 'http://[::1]:3000'])
  t.ok(Object.isFrozen(origins))
})

t.test('origins of hybrid apps with their own scheme are accepted as browsers send them', async (t) => {
  t.plan(1)
  t.same(loadConfig({ CORS_ORIGINS: 'capacitor://localhost,ionic://localhost' }).corsOrigins, ['capacitor://localhost', 'ionic://localhost'])
})

// Each of these could never equal an Origin header a browser sends, so it would silently match nothing.
const bad: [string, string][] = [
  ['a trailing slash', 'https://app.example.com/'],
  ['a path', 'https://app.example.com/app'],
  ['upper case', 'https://App.example.com'],
  ['a default port', 'https://app.example.com:443'],
  ['no scheme', 'app.example.com'],
  ['a wildcard subdomain', 'https://*.example.com'],
  ['* inside a list', 'https://app.example.com, *'],
  ['an empty entry', 'https://app.example.com,,https://b.example.com'],
  ['a port out of range', 'http://127.0.0.1:99999'],
  ['an IPv4 address in a form browsers do not send', 'http://127.1'],
  ['the null origin', 'null'],
  ['a query', 'https://app.example.com?x=1'],
]

for (const [what, value] of bad) {
  t.test(`an origin with ${what} stops the boot with a ConfigError naming CORS_ORIGINS`, async (t) => {
    t.plan(2)
    const err = t.throws(() => loadConfig({ CORS_ORIGINS: value })) as ConfigError
    t.match(err, { code: 'TF_ERR_CONFIG', variable: 'CORS_ORIGINS', message: /^CORS_ORIGINS: expected \* alone, or comma-separated origins as browsers send them \(scheme:\/\/host\[:port\], lower case, no path\), got "/ })
  })
}
