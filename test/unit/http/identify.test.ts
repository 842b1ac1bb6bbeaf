// Caller identification, shared by /features and OFREP.

import t from 'tap'
import { caller } from '../../../src/core/context.js'
import { HTTP_ERRORS } from '../../../src/errors.js'
import { contextOf, identify, isError } from '../../../src/http/identify.js'

const store = {
  asked: [] as string[],
  async userIdForToken (token: string): Promise<string | null> {
    this.asked.push(token)
    return token === '1234' ? '1' : null
  },
}
const req = (authorization?: string): { headers: { authorization?: string }, rawHeaders: string[] } =>
  authorization === undefined ? { headers: {}, rawHeaders: [] } : { headers: { authorization }, rawHeaders: ['Authorization', authorization] }

t.test('an anonymous request is decided at once, without asking the store', async (t) => {
  store.asked = []
  t.equal(identify(req(), store), caller(null))
  t.same(store.asked, [])
})

t.test('a malformed header is its registry error, decided at once', async (t) => {
  store.asked = []
  const who = identify(req('Digest x'), store)
  t.equal(who, HTTP_ERRORS.TF_ERR_AUTH_SCHEME)
  t.ok(isError(who as never))
  t.same(store.asked, [])
})

t.test('a known token becomes its user context; an unknown one is 401', async (t) => {
  t.same(await identify(req('Bearer 1234'), store), { userId: '1' })
  t.equal(await identify(req('Bearer nope'), store), HTTP_ERRORS.TF_ERR_UNAUTHORIZED)
  t.notOk(isError(await contextOf('1234', store)))
})
