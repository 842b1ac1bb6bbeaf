import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import t from 'tap'
import { loadAdminTokens, newToken, parseAdminTokens, tokenDigest, tokenLine } from '../../../src/config/admin-tokens.js'
import { ConfigError } from '../../../src/errors.js'

const hex = (token: string): string => createHash('sha256').update(token).digest('hex')
const dir = mkdtempSync(join(tmpdir(), 'tideflags-admin-tokens-'))

t.test('a tokens file lists an actor, a scope and the sha256 of each token; comments and blank lines are skipped', async (t) => {
  t.plan(4)
  const tokens = parseAdminTokens(`# the team\n\nalice write ${hex('a')}\n  bob   read   ${hex('b').toUpperCase()}  \r\n`, '/f')
  t.same(tokens.map((e) => [e.actor, e.scope]), [['alice', 'write'], ['bob', 'read']])
  t.same(tokens[1]?.digest, tokenDigest('b'), 'hex digits in either case')
  t.ok(Object.isFrozen(tokens) && Object.isFrozen(tokens[0]), 'frozen')
  t.equal(tokenLine('carol', 'read', 'c'), `carol read ${hex('c')}`)
})

const bad: [string, string, RegExp][] = [
  ['a line with two fields', `alice write\n`, /\/f line 1: 2 fields, expected 3$/],
  ['a line with four fields', `# x\nalice write ${hex('a')} extra\n`, /\/f line 2: 4 fields, expected 3$/],
  ['an actor with a space-free but forbidden character', `al!ce write ${hex('a')}\n`, /line 1: the actor must be/],
  ['an unknown scope', `alice admin ${hex('a')}\n`, /line 1: scope "admin" is neither read nor write$/],
  ['a token in clear instead of its digest', 'alice write my-secret-token\n', /line 1: the third field must be 64 hex digits \(the sha256 of the token, not the token\)$/],
  ['the same token twice', `alice write ${hex('a')}\nbob read ${hex('a')}\n`, /line 2: the same token as line 1$/],
  ['no token at all', '# nobody\n\n', /\/f holds no token$/],
]

for (const [what, text, message] of bad) {
  t.test(`${what} stops the boot with a ConfigError naming ADMIN_TOKENS_FILE and the line`, async (t) => {
    t.plan(4)
    const err = t.throws(() => parseAdminTokens(text, '/f')) as ConfigError
    t.ok(err instanceof ConfigError)
    t.equal(err.variable, 'ADMIN_TOKENS_FILE')
    t.match(err.message, message)
  })
}


t.test('the error for a token in clear does not hold the token', async (t) => {
  t.plan(1)
  try {
    parseAdminTokens('alice write my-secret-token\n', '/f')
  } catch (err) {
    t.notMatch((err as Error).message, /my-secret-token/)
  }
})

t.test('the file is read from disk; an unreadable one is a ConfigError', async (t) => {
  t.plan(2)
  const file = join(dir, 'tokens')
  writeFileSync(file, `alice write ${hex('a')}\n`)
  t.equal(loadAdminTokens(file)[0]?.actor, 'alice')
  t.throws(() => loadAdminTokens(join(dir, 'missing')), { variable: 'ADMIN_TOKENS_FILE', message: /^ADMIN_TOKENS_FILE: expected a readable file/ })
})

t.test('new tokens are random, URL-safe and prefixed so that secret scanners can spot them', async (t) => {
  t.plan(3)
  const a = newToken()
  t.match(a, /^tfa_[A-Za-z0-9_-]{43}$/)
  t.not(a, newToken())
  t.equal(tokenDigest(a).length, 32)
})
