import t from 'tap'
import { MAX_BASIC_USER_BYTES, MAX_TOKEN_BYTES, readToken, repeatsAuthorization, requestToken } from '../../../src/http/auth.js'
import { HTTP_ERRORS } from '../../../src/errors.js'

const basic = (credentials: string): string => 'Basic ' + Buffer.from(credentials).toString('base64')

t.test('no Authorization header means an anonymous caller', async (t) => {
  t.plan(1)
  t.equal(readToken(undefined), null)
})

t.test('a Bearer token is read as is, with the scheme in any case and extra spaces', async (t) => {
  t.plan(4)
  t.equal(readToken('Bearer 1234'), '1234')
  t.equal(readToken('bearer abc.def-ghi_'), 'abc.def-ghi_')
  t.equal(readToken('BEARER    tok'), 'tok')
  t.equal(readToken('Bearer a:b:c'), 'a:b:c')
})

t.test('a Basic header yields the password as the token and ignores the user name', async (t) => {
  t.plan(4)
  t.equal(readToken(basic('someone:1234')), '1234')
  t.equal(readToken(basic(':1234')), '1234', 'the user name may be empty')
  t.equal(readToken(basic('user:pa:ss:word')), 'pa:ss:word', 'the password may contain colons')
  t.equal(readToken('basic ' + Buffer.from('u:tok').toString('base64')), 'tok', 'scheme is case-insensitive')
})

t.test('Basic credentials without padding are accepted as long as they are valid base64', async (t) => {
  t.plan(1)
  const unpadded = Buffer.from('u:ab').toString('base64').replace(/=+$/, '')
  t.equal(readToken('Basic ' + unpadded), 'ab')
})

t.test('UTF-8 tokens arrive intact through either form', async (t) => {
  t.plan(2)
  // node delivers header bytes as latin1; the Bearer path must recover the UTF-8 the client sent.
  t.equal(readToken('Bearer ' + Buffer.from('jeton-é', 'utf8').toString('latin1')), 'jeton-é')
  t.equal(readToken(basic('u:jeton-é')), 'jeton-é')
})

t.test('other schemes are rejected as invalid authorization', async (t) => {
  t.plan(4)
  t.equal(readToken('Digest abc'), HTTP_ERRORS.TF_ERR_AUTH_SCHEME)
  t.equal(readToken('Token abc'), HTTP_ERRORS.TF_ERR_AUTH_SCHEME)
  t.equal(readToken('1234'), HTTP_ERRORS.TF_ERR_AUTH_SCHEME, 'a bare token without a scheme')
  t.equal(readToken('Bearers abc'), HTTP_ERRORS.TF_ERR_AUTH_SCHEME)
})

t.test('an empty token is rejected in every form', async (t) => {
  t.plan(5)
  t.equal(readToken(''), HTTP_ERRORS.TF_ERR_AUTH_EMPTY_TOKEN)
  t.equal(readToken('Bearer '), HTTP_ERRORS.TF_ERR_AUTH_EMPTY_TOKEN)
  t.equal(readToken('Basic '), HTTP_ERRORS.TF_ERR_AUTH_EMPTY_TOKEN)
  t.equal(readToken(basic('user:')), HTTP_ERRORS.TF_ERR_AUTH_EMPTY_TOKEN)
  t.equal(readToken(basic(':')), HTTP_ERRORS.TF_ERR_AUTH_EMPTY_TOKEN)
})

t.test('bad base64 or credentials without a colon are rejected', async (t) => {
  t.plan(5)
  t.equal(readToken('Basic not*base64'), HTTP_ERRORS.TF_ERR_AUTH_BASE64)
  t.equal(readToken('Basic abcde'), HTTP_ERRORS.TF_ERR_AUTH_BASE64, 'a length no base64 text can have')
  t.equal(readToken('Basic ab=c'), HTTP_ERRORS.TF_ERR_AUTH_BASE64, 'padding in the middle')
  t.equal(readToken(basic('no-colon-here')), HTTP_ERRORS.TF_ERR_AUTH_BASE64)
  t.equal(readToken('Basic ' + Buffer.from([0x75, 0x3a, 0xff, 0xfe]).toString('base64')), HTTP_ERRORS.TF_ERR_AUTH_BASE64,
    'bytes that are not UTF-8')
})

t.test('a token over 1 KiB is rejected, one of exactly 1 KiB is accepted', async (t) => {
  t.plan(5)
  const max = 'x'.repeat(MAX_TOKEN_BYTES)
  t.equal(readToken('Bearer ' + max), max)
  t.equal(readToken('Bearer ' + max + 'x'), HTTP_ERRORS.TF_ERR_AUTH_TOKEN_TOO_LONG)
  t.equal(readToken(basic('u:' + max)), max)
  t.equal(readToken(basic('u:' + max + 'x')), HTTP_ERRORS.TF_ERR_AUTH_TOKEN_TOO_LONG)
  t.equal(readToken('Basic ' + 'A'.repeat(100_000)), HTTP_ERRORS.TF_ERR_AUTH_TOKEN_TOO_LONG, 'huge base64 is not decoded')
})

t.test('a multi-byte token is measured in bytes, not characters', async (t) => {
  t.plan(1)
  t.equal(readToken(basic('u:' + 'é'.repeat(MAX_TOKEN_BYTES / 2 + 1))), HTTP_ERRORS.TF_ERR_AUTH_TOKEN_TOO_LONG)
})

t.test('control characters in the token are rejected', async (t) => {
  t.plan(5)
  t.equal(readToken('Bearer ab\tcd'), HTTP_ERRORS.TF_ERR_AUTH_TOKEN_CHARS)
  t.equal(readToken('Bearer ab\x7fcd'), HTTP_ERRORS.TF_ERR_AUTH_TOKEN_CHARS)
  t.equal(readToken(basic('u:ab\ncd')), HTTP_ERRORS.TF_ERR_AUTH_TOKEN_CHARS)
  t.equal(readToken(basic('u:\x00')), HTTP_ERRORS.TF_ERR_AUTH_TOKEN_CHARS)
  t.equal(readToken('Bearer ' + Buffer.from([0xff, 0xfe]).toString('latin1')), HTTP_ERRORS.TF_ERR_AUTH_TOKEN_CHARS,
    'raw bytes that are not UTF-8')
})

t.test('a bare Bearer or Basic scheme with no credentials is an empty token, not a wrong scheme', async (t) => {
  t.plan(4)
  // node trims the trailing space of `Authorization: Bearer `, so the value is the scheme alone.
  t.equal(readToken('Bearer'), HTTP_ERRORS.TF_ERR_AUTH_EMPTY_TOKEN)
  t.equal(readToken('bearer'), HTTP_ERRORS.TF_ERR_AUTH_EMPTY_TOKEN)
  t.equal(readToken('BASIC'), HTTP_ERRORS.TF_ERR_AUTH_EMPTY_TOKEN)
  t.equal(readToken('Bearerx'), HTTP_ERRORS.TF_ERR_AUTH_SCHEME, 'a longer word is still another scheme')
})

t.test('a Basic user name of up to 1 KiB is ignored, whatever the token length within its own limit', async (t) => {
  t.plan(3)
  const token = 't'.repeat(1000)
  t.equal(readToken(basic('u'.repeat(300) + ':' + token)), token, 'a 300-byte name with a 1000-byte token')
  t.equal(readToken(basic('u'.repeat(MAX_BASIC_USER_BYTES) + ':' + 'x'.repeat(MAX_TOKEN_BYTES))), 'x'.repeat(MAX_TOKEN_BYTES),
    'both at their limits')
  t.equal(readToken(basic('u'.repeat(MAX_BASIC_USER_BYTES) + ':' + 'x'.repeat(MAX_TOKEN_BYTES + 1))), HTTP_ERRORS.TF_ERR_AUTH_TOKEN_TOO_LONG,
    'a name at its limit does not hide a token over its own')
})

t.test('a Basic user name over 1 KiB gets its own error, counted in bytes', async (t) => {
  t.plan(3)
  t.equal(readToken(basic('u'.repeat(MAX_BASIC_USER_BYTES + 1) + ':tok')), HTTP_ERRORS.TF_ERR_AUTH_USER_TOO_LONG)
  t.equal(readToken(basic('é'.repeat(MAX_BASIC_USER_BYTES / 2 + 1) + ':tok')), HTTP_ERRORS.TF_ERR_AUTH_USER_TOO_LONG,
    'multi-byte characters')
  t.equal(readToken(basic('u'.repeat(MAX_BASIC_USER_BYTES + 1) + ':' + 'x'.repeat(MAX_TOKEN_BYTES + 1))), HTTP_ERRORS.TF_ERR_AUTH_TOKEN_TOO_LONG,
    'past both limits the header is refused before decoding, with the token error')
})

t.test('a request with more than one Authorization header, in any case, is refused', async (t) => {
  t.plan(6)
  const req = (rawHeaders: string[]): { headers: { authorization?: string }, rawHeaders: string[] } => {
    const first = rawHeaders.findIndex((h, i) => i % 2 === 0 && h.toLowerCase() === 'authorization')
    return { headers: first === -1 ? {} : { authorization: rawHeaders[first + 1] }, rawHeaders }
  }
  t.equal(requestToken(req(['Host', 'x', 'Authorization', 'Bearer a', 'authorization', 'Bearer b'])), HTTP_ERRORS.TF_ERR_AUTH_DUPLICATE)
  t.equal(requestToken(req(['AUTHORIZATION', 'Bearer a', 'X-Other', 'authorization', 'Authorization', 'Bearer a'])), HTTP_ERRORS.TF_ERR_AUTH_DUPLICATE,
    'even when both say the same; a header value equal to the name does not count')
  t.equal(requestToken(req(['Authorization', 'Bearer a', 'X-Authorization', 'Bearer b'])), 'a', 'other headers do not count')
  t.equal(requestToken(req(['Host', 'x'])), null, 'no header: anonymous')
  t.equal(repeatsAuthorization(['Authorization', 'Bearer a']), false)
  t.equal(repeatsAuthorization(['x-other', 'authorization', 'authorization', 'v']), false, 'only names are compared')
})
