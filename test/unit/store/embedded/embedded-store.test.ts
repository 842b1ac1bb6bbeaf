import { mkdtempSync, renameSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import t from 'tap'
import { EXAMPLE_FEATURES_FILE } from '../../../../src/config/config.js'
import { DataFileError } from '../../../../src/errors.js'
import { loadDataFile } from '../../../../src/store/embedded/data-file.js'
import { EmbeddedStore } from '../../../../src/store/embedded/embedded-store.js'
import { caller } from '../../../../src/core/context.js'

const dir = mkdtempSync(join(tmpdir(), 'tideflags-embedded-'))
let n = 0
function file (content: string): string {
  const path = join(dir, `f${n++}.json`)
  writeFileSync(path, content)
  return path
}

t.test('the shipped example file holds the README example', async (t) => {
  t.plan(3)
  const store = new EmbeddedStore(EXAMPLE_FEATURES_FILE, pino({ level: 'silent' }))
  t.teardown(() => store.close())
  t.same(await store.featuresFor(caller(null)), ['feature_1', 'feature_2'])
  t.equal(await store.userIdForToken('1234'), '1')
  t.same(await store.featuresFor(caller('1')), ['feature_1', 'feature_2', 'feature_3'])
})

const bad: [string, string, RegExp][] = [
  ['invalid JSON', '{"global_features": [', /not valid JSON/],
  ['a top level that is not an object', '[]', /expected a JSON object at the top level/],
  ['an unknown key', '{"globals": []}', /unknown key "globals"/],
  ['a feature list that is not an array', '{"global_features": "a"}', /global_features: expected an array of non-empty strings/],
  ['an empty feature name', '{"active_features": [""]}', /active_features: expected an array/],
  ['tokens that are not an object', '{"tokens": []}', /tokens: expected an object/],
  ['a user id that is not a string', '{"tokens": {"t": 1}}', /tokens\["t"\]: expected a non-empty user id string/],
  ['a user feature list of numbers', '{"user_features": {"1": [1]}}', /user_features\["1"\]: expected an array/],
  ['locations that are not an object', '{"locations": ["US"]}', /locations: expected an object/],
  ['a location set that is not a list', '{"locations": {"US": "a"}}', /locations\["US"\]: expected an array/],
  ['a rollout percent that is neither text nor a number', '{"rollouts": {"a": true}}', /rollouts\["a"\]: expected a percent, as text or a number/],
  ['schedules that are not an object', '{"schedules": []}', /schedules: expected an object/],
  ['a schedule that is not an object', '{"schedules": {"a": "mon"}}', /schedules\["a"\]: expected an object/],
  ['a schedule field that is neither text nor a number', '{"schedules": {"a": {"start": true}}}', /schedules\["a"\]\.start: expected text or a number/],
  ['an audit trail that is not a list of entries', '{"audit": [{"time": 1}]}', /audit: expected an array of entries, each with an "id"/],
]
for (const [what, content, problem] of bad) {
  t.test(`a data file with ${what} is a startup error naming the file and the problem`, async (t) => {
    t.plan(3)
    const path = file(content)
    const err = t.throws(() => loadDataFile(path)) as DataFileError
    t.equal(err.code, 'TF_ERR_DATA_FILE')
    t.match(err.message, new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*${problem.source}`))
  })
}

t.test('a missing data file is a startup error naming the file', async (t) => {
  t.plan(2)
  const err = t.throws(() => new EmbeddedStore(join(dir, 'missing.json'), pino({ level: 'silent' }))) as Error
  t.match(err.message, /missing\.json: cannot read: ENOENT/)
})

t.test('the store reloads when the file changes, and keeps the last good data when the change is bad', async (t) => {
  t.plan(5)
  const lines: string[] = []
  const log = pino({ level: 'info' }, { write: (line: string) => { lines.push(line) } })
  const path = file('{"global_features": ["a"]}')
  const store = new EmbeddedStore(path, log)
  t.teardown(() => store.close())
  t.same(await store.featuresFor(caller(null)), ['a'])
  // The watcher takes its first look asynchronously; a change before that would be its baseline.
  await sleep(700)

  // Editors save by writing a new file and renaming it over the old one.
  writeFileSync(path + '.tmp', '{"global_features": ["a", "b"]}')
  renameSync(path + '.tmp', path)
  await waitFor(async () => (await store.featuresFor(caller(null))).length === 2)
  t.same(await store.featuresFor(caller(null)), ['a', 'b'], 'the change is picked up')

  writeFileSync(path, '{"global_features": "oops!"}')
  await waitFor(async () => lines.some((line) => line.includes('reload failed')))
  t.same(await store.featuresFor(caller(null)), ['a', 'b'], 'a bad file keeps the previous data')
  t.match(lines.join(''), /global_features: expected an array/, 'and the log says why')

  writeFileSync(path, '{"global_features": ["c"]}')
  await waitFor(async () => (await store.featuresFor(caller(null)))[0] === 'c')
  t.same(await store.featuresFor(caller(null)), ['c'], 'a fixed file is picked up again')
})

async function waitFor (check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000
  while (Date.now() < deadline) {
    if (await check()) return
    await sleep(50)
  }
}

t.test('a rollout percent with the hash\'s semantics: text or a number, a malformed one selecting nobody, logged once', async (t) => {
  t.plan(4)
  const lines: Record<string, unknown>[] = []
  const log = pino({ level: 'warn' }, { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>) } })
  const store = new EmbeddedStore(file(JSON.stringify({
    active_features: ['r100', 'half', 'bad'], rollouts: { r100: 100, half: '50', bad: '150', inactive: '100' },
  })), log)
  t.teardown(() => store.close())
  t.same(await store.featuresFor(caller('3')), ['half', 'r100'], 'user 3 is under 50% of half (bucket 3971)')
  t.same(await store.featuresFor(caller('1')), ['r100'], 'user 1 is not (bucket 7536)')
  t.same(await store.featuresFor(caller(null)), [], 'anonymous: in no rollout')
  t.same(lines.filter((l) => l.key === 'rollout').map((l) => [l.feature, l.value]), [['bad', '150']], 'the malformed one logged once')
})
