// The process logger: what survives of an Error in a line (a whitelist), and token keys cut out
// of any text an error brings along.

import t from 'tap'
import { createLogger, scrub, serializeError } from '../../../src/observability/logger.js'

function capture (): { log: ReturnType<typeof createLogger>, lines: () => Array<Record<string, unknown>>, text: () => string } {
  let output = ''
  const log = createLogger({ logLevel: 'info' }, 'worker', { write: (chunk: string) => { output += chunk } })
  return {
    log,
    lines: () => output.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>),
    text: () => output,
  }
}

// Shaped like ioredis's ReplyError: the command's arguments ride along as an own property.
function replyError (message: string): Error {
  const err = new Error(message)
  err.name = 'ReplyError'
  Object.assign(err, { command: { name: 'mget', args: ['token:SeCrEt-a', 'token:SeCrEt-b'] }, previousErrors: [new Error('token:SeCrEt-c')] })
  return err
}

t.test('a logged error keeps its type, message, code and stack, and nothing else', async (t) => {
  t.plan(3)
  const { log, lines, text } = capture()
  const err = Object.assign(replyError('BUSY Redis is busy'), { code: 'EBUSY' })
  log.warn({ err }, 'request failed')
  const line = lines()[0] as { err: Record<string, unknown> }
  t.same(Object.keys(line.err).sort(), ['code', 'message', 'stack', 'type'])
  t.match(line.err, { type: 'ReplyError', message: 'BUSY Redis is busy', code: 'EBUSY', stack: /^ReplyError: BUSY/ })
  t.notMatch(text(), /SeCrEt/)
})

t.test('an error under any key, or as the only argument, is serialized the same way', async (t) => {
  t.plan(4)
  const { log, lines, text } = capture()
  log.warn({ error: replyError('WRONGTYPE'), other: 1 }, 'under another key')
  log.error(replyError('token:SeCrEt-m in the message'))
  const [first, second] = lines()
  t.match(first, { error: { type: 'ReplyError', message: 'WRONGTYPE' }, other: 1, msg: 'under another key' })
  t.match(second, { err: { message: 'token:[redacted] in the message' }, msg: 'token:[redacted] in the message' })
  t.notMatch(text(), /SeCrEt/)
  t.notOk('command' in (first?.error as object))
})

t.test('causes are serialized through the same whitelist, to a bounded depth', async (t) => {
  t.plan(4)
  let deep: Error = replyError('bottom')
  for (let i = 0; i < 10; i++) deep = new Error(`level ${i}`, { cause: deep })
  const out = serializeError(new Error('top', { cause: replyError('token:SeCrEt-x failed') }))
  t.match(out, { type: 'Error', message: 'top', cause: { type: 'ReplyError', message: 'token:[redacted] failed' } })
  t.notMatch(JSON.stringify(out), /SeCrEt|command/)
  let depth = 0
  for (let at: unknown = serializeError(deep); typeof at === 'object' && at !== null; at = (at as { cause?: unknown }).cause) depth++
  t.equal(depth, 5, 'the top error and four causes')
  t.same(serializeError(new Error('x', { cause: 'token:SeCrEt-y as text' })).cause, 'token:[redacted] as text', 'a cause that is no Error is kept as scrubbed text')
})

t.test('an AggregateError keeps its inner errors, serialized the same way; a numeric code is kept', async (t) => {
  t.plan(2)
  const inner = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED', address: '127.0.0.1' })
  const out = serializeError(Object.assign(new AggregateError([inner, 'token:SeCrEt-z'], 'all failed'), { code: 7 }))
  t.match(out, { type: 'AggregateError', code: 7, errors: [{ code: 'ECONNREFUSED', message: /ECONNREFUSED/ }, 'token:[redacted]'] })
  t.notOk('address' in ((out.errors as unknown[])[0] as object))
})

t.test('an error without a stack, or with an odd code, is still logged', async (t) => {
  t.plan(1)
  const err = Object.assign(new Error('no stack'), { code: { nested: 'token:SeCrEt' } })
  delete err.stack
  t.same(serializeError(err), { type: 'Error', message: 'no stack' })
})

t.test('scrub cuts every token key out of a text and leaves the rest', async (t) => {
  t.plan(1)
  t.equal(scrub('MGET token:abc token:d-e_f failed'), 'MGET token:[redacted] token:[redacted] failed')
})

t.test('headers and lines without errors pass unchanged, with the authorization header cut out', async (t) => {
  t.plan(1)
  const { log, lines } = capture()
  log.info({ headers: { authorization: 'Bearer SeCrEt', host: 'h' }, n: 1 }, 'plain')
  t.match(lines()[0], { headers: { authorization: '[redacted]', host: 'h' }, n: 1, msg: 'plain', role: 'worker' })
})

t.test('an err that is no Error, and a non-string message, pass through as they are', async (t) => {
  t.plan(2)
  const { log, lines } = capture()
  log.info({ err: 'just text' })
  log.info({ msg: 5 })
  t.match(lines()[0], { err: 'just text' })
  t.match(lines()[1], { msg: 5 })
})

t.test('an error bound into a child logger is serialized through the whitelist too', async (t) => {
  t.plan(2)
  const { log, lines, text } = capture()
  log.child({ err: replyError('bound') }).warn('from a child')
  t.match(lines()[0], { err: { type: 'ReplyError', message: 'bound' }, msg: 'from a child' })
  t.notMatch(text(), /SeCrEt/)
})

t.test('without a destination the logger writes to stdout', async (t) => {
  t.plan(1)
  t.ok(createLogger({ logLevel: 'silent' }, 'primary').isLevelEnabled('fatal') === false)
})
