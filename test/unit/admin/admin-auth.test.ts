import t from 'tap'
import { AdminAuth } from '../../../src/admin/admin-auth.js'
import { parseAdminTokens, tokenLine } from '../../../src/config/admin-tokens.js'

const tokens = parseAdminTokens([tokenLine('alice', 'write', 'tok-a'), tokenLine('bob', 'read', 'tok-b'), tokenLine('alice', 'read', 'tok-a2')].join('\n'), '/f')

t.test('a token signs in as the line whose digest it hashes to; anything else is unknown', async (t) => {
  t.plan(6)
  const auth = new AdminAuth(tokens)
  t.match(auth.verify('tok-a'), { actor: 'alice', scope: 'write' })
  t.match(auth.verify('tok-b'), { actor: 'bob', scope: 'read' })
  t.match(auth.verify('tok-a2'), { actor: 'alice', scope: 'read' }, 'one actor may hold several tokens')
  t.equal(auth.verify('tok-c'), undefined)
  t.equal(auth.verify(''), undefined)
  t.equal(auth.verify(tokens[0]?.digest.toString('hex') as string), undefined, 'the digest itself is not a token')
})
