import { mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { createToken } from '../../../src/cli/token.js'
import { parseAdminTokens } from '../../../src/config/admin-tokens.js'
import { AdminAuth } from '../../../src/admin/admin-auth.js'

t.test('a created token signs in as its line says, and only its digest is in the line', async (t) => {
  t.plan(4)
  const created = createToken('alice', 'write')
  if (typeof created === 'string') throw new Error(created)
  t.match(created, { actor: 'alice', scope: 'write' })
  t.notMatch(created.line, created.token)
  const auth = new AdminAuth(parseAdminTokens(created.line, 'x'))
  t.match(auth.verify(created.token), { actor: 'alice', scope: 'write' })
  t.equal(auth.verify(created.token + 'x'), undefined)
})

t.test('--file appends the line to a file only its owner can read', async (t) => {
  t.plan(3)
  const file = join(mkdtempSync(join(tmpdir(), 'tideflags-cli-token-')), 'tokens')
  const a = createToken('a', 'read', file)
  const b = createToken('b', 'write', file)
  if (typeof a === 'string' || typeof b === 'string') throw new Error('not created')
  t.equal(readFileSync(file, 'utf8'), `${a.line}\n${b.line}\n`)
  t.equal(statSync(file).mode & 0o777, 0o600)
  t.equal(parseAdminTokens(readFileSync(file, 'utf8'), file).length, 2)
})

t.test('a bad actor or scope is a usage problem, and nothing is made', async (t) => {
  t.plan(2)
  t.equal(createToken('a b', 'read'), '--actor: expected 1 to 64 letters, digits, _ . @ or -')
  t.equal(createToken('a', 'admin'), '--scope: expected read or write')
})
