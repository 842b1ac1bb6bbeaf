import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { loadConfig } from '../../../src/config/config.js'
import { tokenLine } from '../../../src/config/admin-tokens.js'

const dir = mkdtempSync(join(tmpdir(), 'tideflags-config-admin-'))
const tokens = join(dir, 'tokens')
writeFileSync(tokens, tokenLine('alice', 'write', 'secret') + '\n')

t.test('without ADMIN_PORT there is no admin listener', async (t) => {
  t.plan(1)
  t.equal(loadConfig({}).admin, undefined)
})

t.test('ADMIN_PORT with a tokens file opens the admin listener on loopback by default', async (t) => {
  t.plan(4)
  const admin = loadConfig({ ADMIN_PORT: '5001', ADMIN_TOKENS_FILE: tokens }).admin
  t.equal(admin?.port, 5001)
  t.equal(admin?.host, '127.0.0.1')
  t.equal(admin?.tokens[0]?.actor, 'alice')
  t.equal(loadConfig({ ADMIN_PORT: '5001', ADMIN_HOST: '0.0.0.0', ADMIN_TOKENS_FILE: tokens }).admin?.host, '0.0.0.0')
})

t.test('port 0 for both listeners is allowed: each gets a free port of its own', async (t) => {
  t.plan(1)
  t.equal(loadConfig({ PORT: '0', ADMIN_PORT: '0', ADMIN_TOKENS_FILE: tokens }).admin?.port, 0)
})

const bad: [string, Record<string, string>, string, RegExp][] = [
  ['an admin port that is not a number', { ADMIN_PORT: 'x', ADMIN_TOKENS_FILE: tokens }, 'ADMIN_PORT', /^ADMIN_PORT: expected an integer from 0 to 65535/],
  ['the public port as the admin port', { PORT: '5000', ADMIN_PORT: '5000', ADMIN_TOKENS_FILE: tokens }, 'ADMIN_PORT', /^ADMIN_PORT: expected a port other than PORT \(5000\)/],
  ['an admin port without a tokens file', { ADMIN_PORT: '5001' }, 'ADMIN_TOKENS_FILE', /^ADMIN_TOKENS_FILE: expected the path of the admin tokens file when ADMIN_PORT is set$/],
  ['a tokens file without an admin port', { ADMIN_TOKENS_FILE: tokens }, 'ADMIN_TOKENS_FILE', /^ADMIN_TOKENS_FILE: expected to be set only together with ADMIN_PORT$/],
  ['an admin host without an admin port', { ADMIN_HOST: '0.0.0.0' }, 'ADMIN_HOST', /^ADMIN_HOST: expected to be set only together with ADMIN_PORT$/],
  ['a tokens file that does not exist', { ADMIN_PORT: '5001', ADMIN_TOKENS_FILE: join(dir, 'missing') }, 'ADMIN_TOKENS_FILE', /^ADMIN_TOKENS_FILE: expected a readable file/],
]

for (const [what, env, variable, message] of bad) {
  t.test(`${what} stops the boot with a ConfigError naming ${variable}`, async (t) => {
    t.plan(2)
    const err = t.throws(() => loadConfig(env)) as unknown
    t.match(err, { variable, message })
  })
}
