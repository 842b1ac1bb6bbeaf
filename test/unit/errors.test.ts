import { readFileSync } from 'node:fs'
import t from 'tap'
import { ConfigError, DataFileError, HTTP_ERRORS, HttpError } from '../../src/errors.js'

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')

t.test('every error code is documented in the README with its status and key', async (t) => {
  const defs = Object.values(HTTP_ERRORS)
  t.plan(defs.length + 2)
  for (const def of defs) {
    const row = readme.split('\n').find((line) => line.includes('`' + def.code + '`'))
    t.match(row, new RegExp(`^\\| ${def.statusCode} \\| \`${def.key}\` \\|`), def.code)
  }
  t.match(readme, /`TF_ERR_CONFIG`/)
  t.match(readme, /`TF_ERR_DATA_FILE`/)
})

t.test('each registry entry has a pre-serialised body holding exactly its key and message', async (t) => {
  const defs = Object.entries(HTTP_ERRORS)
  t.plan(defs.length * 2)
  for (const [code, def] of defs) {
    t.equal(def.code, code)
    t.same(JSON.parse(def.body.toString()), { key: def.key, message: def.message })
  }
})

t.test('errors carry their code, and the cause when given', async (t) => {
  t.plan(6)
  const cause = new Error('WRONGTYPE')
  const err = new HttpError('TF_ERR_INTERNAL', { cause })
  t.equal(err.code, 'TF_ERR_INTERNAL')
  t.equal(err.def.statusCode, 500)
  t.equal(err.cause, cause)
  t.equal(new ConfigError('PORT', 'a number').message, 'PORT: expected a number')
  t.equal(new DataFileError('/f.json', 'bad').message, '/f.json: bad')
  t.equal(new DataFileError('/f.json', 'bad').code, 'TF_ERR_DATA_FILE')
})

t.test('an HttpError without a cause can be logged by pino', async (t) => {
  t.plan(1)
  const { pino } = await import('pino')
  const lines: string[] = []
  const log = pino({}, { write: (line: string) => { lines.push(line) } })
  log.warn({ err: new HttpError('TF_ERR_SERVICE_UNAVAILABLE') }, 'x')
  t.match(lines[0], /"code":"TF_ERR_SERVICE_UNAVAILABLE"/)
})
