import { createHash } from 'node:crypto'
import t from 'tap'
import { etagOf, ifNoneMatch } from '../../../src/http/etag.js'

t.test('the same body always gets the same strong ETag, a different body another', async (t) => {
  t.plan(3)
  const a = etagOf(Buffer.from('{"active_features":["a"]}'))
  t.equal(a, etagOf(Buffer.from('{"active_features":["a"]}')))
  t.not(a, etagOf(Buffer.from('{"active_features":["b"]}')))
  t.match(a, /^"[A-Za-z0-9_-]{22}"$/)
})

t.test('a string body gets the tag of its UTF-8 bytes: the first 22 base64url characters of its sha1', async (t) => {
  t.plan(2)
  const body = '{"active_features":["café"]}'
  const expected = '"' + createHash('sha1').update(Buffer.from(body, 'utf8')).digest('base64url').slice(0, 22) + '"'
  t.equal(etagOf(body), expected, 'the same tag as before bodies became strings: clients keep their 304s across upgrades')
  t.equal(etagOf(Buffer.from(body)), expected)
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
