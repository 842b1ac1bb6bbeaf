// The tideflags CLI against a real admin API on Redis: every command's output for people and for
// scripts, and its exit status. First in-process (run()), then end to end: the built CLI
// (dist/cli/main.js) spawned against the built service (dist/main.js), with a token it created.

import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:http'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { EXIT_OK, EXIT_SERVER, EXIT_USAGE, run } from '../../../src/cli/run.js'
import { READ_TOKEN, startAdmin, WRITE_TOKEN, type AdminApp } from '../../helpers/admin.js'
import { startRedisPair, type RedisPair } from '../../helpers/in-process.js'
import { freePort } from '../../helpers/redis-server.js'
import { startService } from '../../helpers/service.js'

const CLI = fileURLToPath(new URL('../../../dist/cli/main.js', import.meta.url))

let redis: RedisPair
let app: AdminApp

t.before(async () => {
  redis = await startRedisPair()
  app = await startAdmin(redis.env)
})
t.teardown(async () => {
  await app.close()
  await redis.stop()
})

async function cli (argv: string[], token = WRITE_TOKEN): Promise<{ code: number, out: string, err: string }> {
  let out = ''
  let err = ''
  const code = await run(argv, { url: app.url, token }, { out: (s) => { out += s }, err: (s) => { err += s } })
  return { code, out, err }
}

t.test('each command calls its route and prints an aligned table or line for people', async (t) => {
  const ok = async (argv: string[], expected: string | RegExp): Promise<void> => {
    const { code, out, err } = await cli(argv)
    t.equal(code, EXIT_OK, `${argv.join(' ')}: exit 0 ${err}`)
    if (typeof expected === 'string') t.equal(out, expected, argv.join(' '))
    else t.match(out, expected, argv.join(' '))
  }
  await ok(['global', 'add', 'feature_9'], 'feature_9 global: false -> true\n')
  await ok(['global', 'add', 'feature_9'], 'feature_9 global: unchanged (true)\n')
  await ok(['active', 'rm', 'feature_3'], 'feature_3 active: true -> false\n')
  await ok(['user', '42', 'add', 'feature_3'], 'user 42 feature_3: false -> true\n')
  await ok(['user', '42'], 'FEATURE\nfeature_3\n')
  await ok(['location', 'ES', 'add', 'feature_9'], 'location ES feature_9: false -> true\n')
  await ok(['location', 'es'], 'FEATURE\nfeature_9\n')
  await ok(['location'], 'LOCATION  FEATURES\nES        feature_9\n')
  await ok(['schedule', 'feature_5', '--days', 'mon,tue', '--tz', 'Europe/Madrid'], 'feature_5 schedule: - -> days=mon,tue tz=Europe/Madrid\n')
  await ok(['rollout', 'feature_8', '25'], 'feature_8 rollout: - -> 25\n')
  await ok(['features'], new RegExp([
    '^FEATURE +GLOBAL +ACTIVE +SCHEDULE +ROLLOUT +LOCATIONS',
    'feature_1 +yes +no +- +- +-',
    'feature_2 +yes +no +- +- +-',
    'feature_5 +no +no +(open|closed) +- +-',
    'feature_8 +no +no +- +25% +-',
    'feature_9 +yes +no +- +- +ES\n$'].join('\n')))
  await ok(['explain', '--token', '1234', '--location', 'ES'], /^user 1, location ES, at \S+\n\/features answers: \["feature_1","feature_2","feature_9"\]\n\nFEATURE +ON +WHY +ROLLOUT +SCHEDULE\n(.*\n)*feature_3 +off +not_active +- +-\n(.*\n)*feature_8 +off +not_targeted +25% bucket \d+ +-\n/)
  await ok(['schedule', 'feature_5', '--delete'], 'feature_5 schedule: days=mon,tue tz=Europe/Madrid -> -\n')
  await ok(['rollout', 'feature_8', '--delete'], 'feature_8 rollout: 25 -> -\n')
  await ok(['audit', '--limit', '2'], /^TIME +ACTOR +ACTION +TARGET +BEFORE +AFTER\n\S+Z +alice +rollout\.delete +rollout feature_8 +25 +-\n\S+Z +alice +schedule\.delete +schedule:feature_5 +days=mon,tue tz=Europe\/Madrid +-\n\nmore: --before \d+-\d+\n$/)
  await ok(['audit', '--before', '1-0'], 'TIME  ACTOR  ACTION  TARGET  BEFORE  AFTER\n')
  t.end()
})

t.test('--json prints the API\'s answer as it is, for scripts', async (t) => {
  t.plan(3)
  const { code, out } = await cli(['features', '--json'])
  t.equal(code, EXIT_OK)
  const answer = JSON.parse(out) as { features: { name: string }[] }
  t.ok(answer.features.some((f) => f.name === 'feature_9'))
  t.same(JSON.parse((await cli(['user', '42', '--json'])).out), { user: '42', features: ['feature_3'] })
})

t.test('an error the server reports is exit 1 with its message, and each bad field on 422', async (t) => {
  t.plan(6)
  const forbidden = await cli(['global', 'rm', 'feature_9'], READ_TOKEN)
  t.equal(forbidden.code, EXIT_SERVER)
  t.equal(forbidden.err, 'tideflags global: This admin token may only read (403 forbidden)\n')
  const invalid = await cli(['rollout', 'feature_8', '101'])
  t.equal(invalid.code, EXIT_SERVER)
  t.equal(invalid.err, 'tideflags rollout: The request is not valid; see errors (422 validation_failed)\n  percent: expected a percent from 0 to 100 with at most two decimals\n')
  const unknown = await cli(['features'], 'wrong')
  t.same([unknown.code, unknown.err], [EXIT_SERVER, 'tideflags features: Unauthorized (401 auth_error)\n'])
  const other = createServer((_req, res) => res.writeHead(502).end('Bad Gateway'))
  other.listen(0, '127.0.0.1')
  await once(other, 'listening')
  t.teardown(() => other.close())
  let err = ''
  const notJson = await run(['features'], { url: `http://127.0.0.1:${(other.address() as { port: number }).port}`, token: WRITE_TOKEN }, { out: () => {}, err: (s) => { err += s } })
  t.same([notJson, err], [EXIT_SERVER, 'tideflags features: HTTP 502 (502 http_error)\n'], 'an answer from something that is not the admin API')
})

/** Spawn the built CLI; coverage of dist/ maps back to src/cli/. */
function spawnCli (argv: string[], env: Record<string, string>): Promise<{ code: number | null, out: string, err: string }> {
  return new Promise((resolve) => {
    const child = spawn(CLI, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s })
    child.stderr.setEncoding('utf8').on('data', (s: string) => { err += s })
    child.on('close', (code) => resolve({ code, out, err }))
  })
}

t.test('end to end: a token made by the CLI signs the built CLI in to the built service', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tideflags-cli-e2e-'))
  const tokens = join(dir, 'tokens')
  const made = await spawnCli(['token', 'create', '--actor', 'carol', '--scope', 'write', '--file', tokens, '--json'], {})
  t.equal(made.code, 0, made.err)
  const { token, line } = JSON.parse(made.out) as { token: string, line: string }
  t.equal(readFileSync(tokens, 'utf8'), line + '\n')

  const adminPort = await freePort()
  const service = await startService({ ...redis.env, LOG_LEVEL: 'info', ADMIN_PORT: String(adminPort), ADMIN_TOKENS_FILE: tokens }, 2, true)
  t.teardown(() => service.stop())
  const env = { TIDEFLAGS_ADMIN_URL: `http://127.0.0.1:${adminPort}`, TIDEFLAGS_ADMIN_TOKEN: token }

  const added = await spawnCli(['user', '1', 'add', 'feature_7'], env)
  t.same([added.code, added.out], [0, 'user 1 feature_7: false -> true\n'])
  const activated = await spawnCli(['active', 'add', 'feature_7', '--json'], env)
  t.same([activated.code, JSON.parse(activated.out)], [0, { changed: true, before: false, after: true }])
  const answer = await fetch(`${service.url}/features`, { headers: { authorization: 'Bearer 1234' } })
  t.same(await answer.json(), { active_features: ['feature_1', 'feature_2', 'feature_7', 'feature_9'] }, '/features shows it')
  t.equal((await fetch(`${service.url}/admin/v1/features`, { headers: { authorization: `Bearer ${token}` } })).status, 404, 'the public port refuses admin paths')

  const audit = await spawnCli(['audit', '--limit', '1'], env)
  t.match(audit.out, /carol +active\.add +active_features feature_7 +false +true/)
  const denied = await spawnCli(['features'], { ...env, TIDEFLAGS_ADMIN_TOKEN: 'nope' })
  t.same([denied.code, denied.err], [1, 'tideflags features: Unauthorized (401 auth_error)\n'])
  const usage = await spawnCli(['rollout', 'feature_7'], env)
  t.equal(usage.code, 2)
  const help = await spawnCli(['explain', '--help'], {})
  t.same([help.code, help.out], [0, 'tideflags explain --token TOKEN | --user ID [--location NAME] [--at TIME] [--json]\n  what /features answers a caller, and why, feature by feature\n'])
  t.equal((await spawnCli([], {})).code, EXIT_USAGE)
  t.end()
})
