// Caller identification, shared by /features and OFREP.

import t from 'tap'
import { caller } from '../../../src/core/context.js'
import { HTTP_ERRORS } from '../../../src/errors.js'
import { requestToken } from '../../../src/http/auth.js'
import { contextOf, isError, locator } from '../../../src/http/identify.js'

const store = {
  asked: [] as string[],
  async userIdForToken (token: string): Promise<string | null> {
    this.asked.push(token)
    return token === '1234' ? '1' : null
  },
}
const req = (authorization?: string): { headers: { authorization?: string }, rawHeaders: string[] } =>
  authorization === undefined ? { headers: {}, rawHeaders: [] } : { headers: { authorization }, rawHeaders: ['Authorization', authorization] }
// What the routes do: read the header, then ask for the caller.
const identify = (request: ReturnType<typeof req>, lookup: typeof store, location?: string): ReturnType<typeof contextOf> =>
  contextOf(requestToken(request), lookup, location)

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

t.test('with no location source the locator answers no location without reading the request', async (t) => {
  t.plan(2)
  let invalid = 0
  const locate = locator({}, () => { invalid++ })
  t.equal(locate({ headers: { 'x-location': 'US' }, socket: { remoteAddress: '8.8.8.8' } }), undefined)
  t.equal(invalid, 0)
})

t.test('the locator reads the configured header and reports an invalid value once per request', async (t) => {
  t.plan(4)
  let invalid = 0
  const locate = locator({ header: 'x-location' }, () => { invalid++ })
  t.equal(locate({ headers: { 'x-location': 'us' }, socket: {} }), 'US')
  t.equal(locate({ headers: { 'x-location': 'u s' }, socket: {} }), undefined)
  t.equal(locate({ headers: {}, socket: {} }), undefined)
  t.equal(invalid, 1)
})

t.test('the location joins the caller context, for anonymous and known callers alike', async (t) => {
  t.plan(3)
  t.same(identify(req(), store, 'US'), { userId: null, location: 'US' })
  t.same(await identify(req('Bearer 1234'), store, 'US'), { userId: '1', location: 'US' })
  t.equal(await identify(req('Bearer nope'), store, 'US'), HTTP_ERRORS.TF_ERR_UNAUTHORIZED)
})
