// The backoffice on the embedded store, in the built multi-worker service (node dist/main.js), as the
// README's first command runs it: an admin write reaches every worker's /features within a second,
// writes from different workers never lose one another, and a data file broken on disk never takes
// the service down.

import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { get } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { EXAMPLE_FEATURES_FILE } from '../../../src/config/config.js'
import { READ_TOKEN, request, tokensFile, WRITE_TOKEN } from '../../helpers/admin.js'
import { freePort } from '../../helpers/redis-server.js'
import { startService, type Service } from '../../helpers/service.js'

const dir = mkdtempSync(join(tmpdir(), 'tideflags-admin-embedded-'))
const file = join(dir, 'features.json')
copyFileSync(EXAMPLE_FEATURES_FILE, file)
let service: Service
let admin: string

/** /features on a new connection each time, so that the cluster hands them to every worker in turn. */
function features (port: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/features', agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (chunk: string) => { body += chunk }).on('end', () => {
        resolve((JSON.parse(body) as { active_features: string[] }).active_features)
      })
    }).on('error', reject)
  })
}

async function everyAnswer (count: number): Promise<string[][]> {
  const answers: string[][] = []
  for (let i = 0; i < count; i++) answers.push(await features(service.port))
  return answers
}

t.before(async () => {
  const adminPort = await freePort()
  admin = `http://127.0.0.1:${adminPort}`
  service = await startService({ FEATURES_FILE: file, ADMIN_PORT: String(adminPort), ADMIN_TOKENS_FILE: tokensFile() }, 2, true)
})
t.teardown(async () => { await service.stop() })

t.test('a feature switched on through the admin API is in every worker\'s /features within a second', async (t) => {
  t.plan(4)
  t.same(await features(service.port), ['feature_1', 'feature_2'])
  const answer = await request(admin, 'PUT', '/admin/v1/features/feature_9/global', { token: WRITE_TOKEN })
  t.same(answer.json, { changed: true, before: false, after: true })
  const start = Date.now()
  let answers: string[][] = []
  do answers = await everyAnswer(6)
  while (!answers.every((a) => a.includes('feature_9')) && Date.now() - start < 3_000)
  const elapsed = Date.now() - start
  t.ok(answers.every((a) => a.includes('feature_9')), 'every answer has it')
  t.ok(elapsed < 1_000, `seen by every worker after ${elapsed} ms`)
})

t.test('concurrent writes through different workers all land in the file, each with its audit entry', async (t) => {
  t.plan(3)
  const writes = Array.from({ length: 16 }, (_, i) => request(admin, 'PUT', `/admin/v1/users/1/features/f${i}`, { token: WRITE_TOKEN, headers: { connection: 'close' } }))
  t.ok((await Promise.all(writes)).every((a) => a.status === 200))
  const data = JSON.parse(readFileSync(file, 'utf8')) as { user_features: Record<string, string[]>, audit: { action: string }[] }
  t.equal(data.user_features['1']?.filter((f) => /^f\d+$/.test(f)).length, 16)
  t.equal(data.audit.filter((e) => e.action === 'user.add').length, 16)
})

t.test('a data file broken on disk is logged and ignored: the workers keep answering with the last good data', async (t) => {
  t.plan(7)
  const good = readFileSync(file, 'utf8')
  writeFileSync(file, '{"global_features": ["half a file"')
  await service.waitForLog((line) => line.msg === 'embedded store reload failed; keeping the previous data', 2, 5_000)
  t.ok((await everyAnswer(6)).every((a) => a.includes('feature_9')), 'the last good data')
  t.equal(service.process.exitCode, null, 'the service is still running')
  t.equal((await fetch(`${service.url}/readyz`)).status, 200)
  const refused = await request(admin, 'GET', '/admin/v1/features', { token: READ_TOKEN })
  t.same([refused.status, refused.json.key], [500, 'data_file_invalid'])
  const write = await request(admin, 'DELETE', '/admin/v1/features/feature_9/global', { token: WRITE_TOKEN })
  t.equal(write.status, 500, 'a write refuses to build on a broken file')
  t.equal(readFileSync(file, 'utf8'), '{"global_features": ["half a file"', 'and leaves it for the operator to fix')
  writeFileSync(file, good.replace('"feature_9"', '"feature_10"'))
  const start = Date.now()
  // Each worker polls on its own: wait until every worker answers with the fixed data, or the deadline.
  let answers = await everyAnswer(6)
  while (!answers.every((a) => a.includes('feature_10')) && Date.now() - start < 3_000) {
    await sleep(50)
    answers = await everyAnswer(6)
  }
  t.ok(answers.every((a) => a.includes('feature_10')), 'a fixed file is picked up again by every worker')
})
