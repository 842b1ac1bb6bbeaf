import t from 'tap'
import { etagOf, ifNoneMatch } from '../../src/etag.js'

t.test('the same body always gets the same strong ETag, a different body another', async (t) => {
  t.plan(3)
  const a = etagOf(Buffer.from('{"active_features":["a"]}'))
  t.equal(a, etagOf(Buffer.from('{"active_features":["a"]}')))
  t.not(a, etagOf(Buffer.from('{"active_features":["b"]}')))
  t.match(a, /^"[A-Za-z0-9_-]{22}"$/)
})

t.test('If-None-Match matches the tag itself, a weak form, a list member, or *', async (t) => {
  t.plan(7)
  const tag = '"abc"'
  t.ok(ifNoneMatch('"abc"', tag))
  t.ok(ifNoneMatch('W/"abc"', tag))
  t.ok(ifNoneMatch('"x", "abc"', tag))
  t.ok(ifNoneMatch('*', tag))
  t.notOk(ifNoneMatch('"abcd"', tag))
  t.notOk(ifNoneMatch('', tag))
  t.notOk(ifNoneMatch(undefined, tag))
})
