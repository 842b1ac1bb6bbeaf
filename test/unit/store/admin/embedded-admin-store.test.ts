import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { DEFAULTS } from '../../../../src/config/defaults.js'
import { HttpError } from '../../../../src/errors.js'
import { EmbeddedAdminStore } from '../../../../src/store/admin/embedded-admin-store.js'
import { loadDataFile } from '../../../../src/store/embedded/data-file.js'

const dir = mkdtempSync(join(tmpdir(), 'tideflags-embedded-admin-'))
let n = 0
function fileWith (data: unknown): string {
  const file = join(dir, `f${n++}.json`)
  writeFileSync(file, typeof data === 'string' ? data : JSON.stringify(data))
  return file
}
const read = (file: string): Record<string, unknown> => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>

t.test('a write changes the file and appends its audit entry; the same write again changes nothing and is not audited', async (t) => {
  t.plan(7)
  const file = fileWith({ global_features: ['a'], tokens: { t: '1' } })
  const store = new EmbeddedAdminStore(file)
  t.same(await store.write({ kind: 'member', set: { kind: 'global' }, feature: 'b', present: true }, 'alice'), { changed: true, before: false, after: true })
  t.same(await store.write({ kind: 'member', set: { kind: 'global' }, feature: 'b', present: true }, 'alice'), { changed: false, before: true, after: true })
  const data = read(file)
  t.same(data.global_features, ['a', 'b'])
  t.same(data.tokens, { t: '1' }, 'the rest of the file is kept')
  t.match(data.audit, [{ actor: 'alice', action: 'global.add', target: 'global_features b', before: false, after: true }])
  t.equal((data.audit as unknown[]).length, 1)
  t.same(loadDataFile(file).global, ['a', 'b'], 'the workers\' loader reads the new file')
})

t.test('user and location sets are created by their first feature and dropped with their last, as Redis does', async (t) => {
  t.plan(6)
  const file = fileWith({})
  const store = new EmbeddedAdminStore(file)
  await store.write({ kind: 'member', set: { kind: 'user', id: '__proto__' }, feature: 'f', present: true }, 'a')
  await store.write({ kind: 'member', set: { kind: 'location', name: 'ES' }, feature: 'f', present: true }, 'a')
  t.same(await store.members({ kind: 'user', id: '__proto__' }), ['f'], 'a user id is data, even __proto__')
  t.same(await store.members({ kind: 'location', name: 'ES' }), ['f'])
  t.same(await store.members({ kind: 'user', id: 'nobody' }), [])
  await store.write({ kind: 'member', set: { kind: 'user', id: '__proto__' }, feature: 'f', present: false }, 'a')
  await store.write({ kind: 'member', set: { kind: 'location', name: 'ES' }, feature: 'f', present: false }, 'a')
  await store.write({ kind: 'member', set: { kind: 'active' }, feature: 'f', present: true }, 'a')
  const data = read(file)
  t.same(data.user_features, {})
  t.same(data.locations, {})
  t.same(data.active_features, ['f'])
})

t.test('rollouts and schedules are set and removed, with their values before and after', async (t) => {
  t.plan(6)
  const file = fileWith({ rollouts: { f: 10 } })
  const store = new EmbeddedAdminStore(file)
  t.same(await store.write({ kind: 'rollout', feature: 'f', percent: '25' }, 'a'), { changed: true, before: '10', after: '25' })
  t.same(await store.write({ kind: 'rollout', feature: 'f', percent: null }, 'a'), { changed: true, before: '25', after: null })
  t.same(await store.write({ kind: 'schedule', feature: 'f', fields: { tz: 'UTC', days: 'mon' } }, 'a'), { changed: true, before: null, after: { days: 'mon', tz: 'UTC' } })
  t.same(await store.write({ kind: 'schedule', feature: 'f', fields: { days: 'mon', tz: 'UTC' } }, 'a'), { changed: false, before: { days: 'mon', tz: 'UTC' }, after: { days: 'mon', tz: 'UTC' } })
  const snapshot = await store.snapshot()
  t.same([...snapshot.schedules], [['f', { days: 'mon', tz: 'UTC' }]])
  t.same(await store.write({ kind: 'schedule', feature: 'f', fields: null }, 'a'), { changed: true, before: { days: 'mon', tz: 'UTC' }, after: null })
})

t.test('a snapshot holds every key of the file, the asked user\'s set, and the clock', async (t) => {
  t.plan(6)
  const file = fileWith({ global_features: ['g'], active_features: ['a'], user_features: { 1: ['b', 'a'] }, locations: { FR: ['z', 'y'], DE: [], AT: ['x'] }, rollouts: { a: '5' }, tokens: { t: '1' } })
  const store = new EmbeddedAdminStore(file)
  const snapshot = await store.snapshot('1')
  t.same(snapshot.user, ['a', 'b'])
  t.same([...snapshot.locations], [['AT', ['x']], ['FR', ['y', 'z']]], 'sorted; empty sets left out, as Redis has none')
  t.same([...snapshot.rollout], [['a', '5']])
  t.ok(Math.abs(snapshot.now - Date.now()) < 1000)
  t.equal((await store.snapshot()).user, undefined)
  t.equal(await store.userIdForToken('t'), '1')
})

t.test('concurrent writes of one process are serialised by the lock: none is lost, each is audited', async (t) => {
  t.plan(2)
  const file = fileWith({})
  const store = new EmbeddedAdminStore(file)
  await Promise.all(Array.from({ length: 20 }, (_, i) => store.write({ kind: 'member', set: { kind: 'global' }, feature: `f${i}`, present: true }, 'a')))
  const data = read(file)
  t.equal((data.global_features as string[]).length, 20)
  t.equal((data.audit as unknown[]).length, 20)
})

t.test('the audit is read newest first, in pages; the file keeps the newest entries up to its cap', async (t) => {
  t.plan(6)
  const entries = Array.from({ length: DEFAULTS.embeddedAuditEntries }, (_, i) => ({ id: `9999999999999-${i}`, time: 1, actor: 'x', action: 'global.add', target: `global_features f${i}`, before: false, after: true }))
  const file = fileWith({ audit: entries })
  const store = new EmbeddedAdminStore(file)
  const first = await store.audit(2)
  t.same(first.entries.map((e) => e.id), [`9999999999999-${entries.length - 1}`, `9999999999999-${entries.length - 2}`])
  const second = await store.audit(2, first.next as string)
  t.same(second.entries.map((e) => e.id), [`9999999999999-${entries.length - 3}`, `9999999999999-${entries.length - 4}`])
  await store.write({ kind: 'member', set: { kind: 'global' }, feature: 'new', present: true }, 'a')
  const audit = read(file).audit as { id: string }[]
  t.equal(audit.length, DEFAULTS.embeddedAuditEntries, 'capped')
  t.equal(audit[0]?.id, '9999999999999-1', 'the oldest dropped')
  t.equal(audit.at(-1)?.id, `9999999999999-${entries.length}`, 'ids keep increasing even when the clock is behind the last one')
  t.equal((await store.audit(5, '9999999999999-2')).next, null, 'the last page')
})

t.test('a file broken on disk refuses admin reads and writes, and is left as it is', async (t) => {
  t.plan(3)
  const file = fileWith('{"global_features": [')
  const store = new EmbeddedAdminStore(file)
  const err = await store.snapshot().catch((e: unknown) => e)
  t.ok(err instanceof HttpError && err.code === 'TF_ERR_ADMIN_DATA_FILE')
  await t.rejects(store.write({ kind: 'member', set: { kind: 'global' }, feature: 'f', present: true }, 'a'), { code: 'TF_ERR_ADMIN_DATA_FILE' })
  t.equal(readFileSync(file, 'utf8'), '{"global_features": [')
})

t.test('a write that would leave a file the workers refuse is not renamed into place', async (t) => {
  t.plan(3)
  const file = fileWith({ global_features: ['a'] })
  const store = new EmbeddedAdminStore(file)
  // The HTTP layer never sends an empty name; the store still checks what it writes with the loader.
  await t.rejects(store.write({ kind: 'member', set: { kind: 'global' }, feature: '', present: true }, 'a'), { code: 'TF_ERR_DATA_FILE' })
  t.same(read(file), { global_features: ['a'] })
  t.same(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file is left behind')
})

t.test('closing is a no-op (nothing is held open)', async (t) => {
  t.plan(1)
  await t.resolves(new EmbeddedAdminStore(fileWith({})).close())
})
