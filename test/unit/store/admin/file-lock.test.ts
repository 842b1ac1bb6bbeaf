import { mkdtempSync, utimesSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { HttpError } from '../../../../src/errors.js'
import { withFileLock } from '../../../../src/store/admin/file-lock.js'

const dir = mkdtempSync(join(tmpdir(), 'tideflags-lock-'))
const timing = { waitMs: 300, staleMs: 5_000, pollMs: 5 }

t.test('holders of the lock run one at a time, and the lock is gone afterwards', async (t) => {
  t.plan(3)
  const file = join(dir, 'a.json')
  let inside = 0
  let most = 0
  await Promise.all(Array.from({ length: 8 }, async () => withFileLock(file, async () => {
    most = Math.max(most, ++inside)
    await sleep(5)
    inside--
  }, timing)))
  t.equal(most, 1)
  t.equal(inside, 0)
  t.notOk(existsSync(`${file}.lock`))
})

t.test('a lock held too long makes the waiter answer 503, and a failing holder releases it', async (t) => {
  t.plan(3)
  const file = join(dir, 'b.json')
  const holder = withFileLock(file, async () => { await sleep(600) }, timing)
  await sleep(20)
  const err = await withFileLock(file, async () => 'never', timing).catch((e: unknown) => e)
  t.ok(err instanceof HttpError && err.code === 'TF_ERR_SERVICE_UNAVAILABLE')
  await holder
  await t.rejects(withFileLock(file, async () => { throw new Error('boom') }, timing), /boom/)
  t.equal(await withFileLock(file, async () => 'free again', timing), 'free again')
})

t.test('a lock left by a process that died is broken once it is stale', async (t) => {
  t.plan(1)
  const file = join(dir, 'c.json')
  writeFileSync(`${file}.lock`, '')
  const old = (Date.now() - 60_000) / 1000
  utimesSync(`${file}.lock`, old, old)
  t.equal(await withFileLock(file, async () => 'taken', timing), 'taken')
})

t.test('an error other than "taken" is not waited out', async (t) => {
  t.plan(1)
  await t.rejects(withFileLock(join(dir, 'missing-dir', 'd.json'), async () => 'x', timing), { code: 'ENOENT' })
})

t.test('the default timing comes from DEFAULTS', async (t) => {
  t.plan(1)
  t.equal(await withFileLock(join(dir, 'e.json'), async () => 'ok'), 'ok')
})
