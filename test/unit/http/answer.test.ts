import t from 'tap'
import { answerFor, MAX_INTERNED } from '../../../src/http/answer.js'

t.test('an answer holds the exact /features body, its ETag and ready header sets', async (t) => {
  t.plan(4)
  const answer = answerFor(['a', 'b'])
  t.equal(answer.body, JSON.stringify({ active_features: ['a', 'b'] }))
  t.equal(answer.headers200['content-length'], Buffer.byteLength(answer.body))
  t.equal(answer.headers200.etag, answer.etag)
  t.same(answer.headers304, { etag: answer.etag, 'cache-control': 'private, no-cache', vary: 'Authorization' })
})

t.test('the same list, as the same array or an equal one, gets the same prepared answer', async (t) => {
  t.plan(2)
  const list = ['x', 'y']
  t.equal(answerFor(list), answerFor(list), 'by identity')
  t.equal(answerFor(['x', 'y']), answerFor(['x', 'y']), 'by content')
})

t.test('Content-Length counts UTF-8 bytes, not characters', async (t) => {
  t.plan(2)
  const answer = answerFor(['été', '🚀'])
  t.equal(answer.body, '{"active_features":["été","🚀"]}')
  t.equal(answer.headers200['content-length'], Buffer.from(answer.body).length)
})

t.test(`the table of distinct answers is bounded: past ${MAX_INTERNED} it starts over and stays correct`, async (t) => {
  t.plan(2)
  const first = answerFor(['bound-0'])
  for (let i = 1; i <= MAX_INTERNED + 1; i++) answerFor([`bound-${i}`])
  const again = answerFor(['bound-0'])
  t.not(again, first, 'the old entry was dropped with the table')
  t.equal(again.body, first.body, 'and rebuilt with the same bytes')
})
