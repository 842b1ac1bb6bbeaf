// The command line without a server: help, usage errors (exit 2), and the offline token command.
// Commands that call the server: test/functional/admin/cli.test.ts.

import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { COMMANDS } from '../../../src/cli/commands.js'
import { EXIT_OK, EXIT_SERVER, EXIT_USAGE, run } from '../../../src/cli/run.js'

async function cli (argv: string[], env: { url?: string, token?: string } = {}): Promise<{ code: number, out: string, err: string }> {
  let out = ''
  let err = ''
  const code = await run(argv, { url: env.url, token: env.token }, { out: (s) => { out += s }, err: (s) => { err += s } })
  return { code, out, err }
}

const ENV = { url: 'http://127.0.0.1:1', token: 'x' }

t.test('no command prints the help to stderr with exit 2; --help and help print it to stdout with exit 0', async (t) => {
  t.plan(6)
  const none = await cli([])
  t.equal(none.code, EXIT_USAGE)
  t.match(none.err, /^tideflags: the tideflags admin API/)
  for (const flag of ['--help', 'help']) {
    const help = await cli([flag])
    t.equal(help.code, EXIT_OK)
    t.match(help.out, /tideflags rollout FEATURE PERCENT/)
  }
})

t.test('every command has --help, which needs no server and no environment', async (t) => {
  const names = Object.keys(COMMANDS)
  t.plan(names.length * 2)
  for (const name of names) {
    const { code, out } = await cli([name, '--help'])
    t.equal(code, EXIT_OK, name)
    t.match(out, new RegExp(`^tideflags ${name}`), name)
  }
})

const usage: [string, string[], RegExp][] = [
  ['an unknown command', ['toggle'], /unknown command "toggle"/],
  ['a command named after an object property', ['constructor'], /unknown command "constructor"/],
  ['an unknown option', ['features', '--verbose'], /Unknown option '--verbose'/],
  ['arguments to features', ['features', 'x'], /features takes no arguments/],
  ['global without add or rm', ['global', 'feature_1'], /expected add or rm, then a feature name/],
  ['active with too many arguments', ['active', 'add', 'a', 'b'], /expected add or rm/],
  ['user without an id', ['user'], /expected a user id/],
  ['user with a bad verb', ['user', '42', 'put', 'f'], /expected add or rm/],
  ['location with a bad verb', ['location', 'ES', 'put', 'f'], /expected add or rm/],
  ['schedule without fields', ['schedule', 'f'], /give schedule fields, or --delete alone/],
  ['schedule with fields and --delete', ['schedule', 'f', '--days', 'mon', '--delete'], /give schedule fields, or --delete alone/],
  ['schedule without a feature', ['schedule', '--days', 'mon'], /expected one feature name/],
  ['rollout without a percent', ['rollout', 'f'], /expected a feature name and a percent/],
  ['rollout with a percent and --delete', ['rollout', 'f', '5', '--delete'], /expected a feature name and a percent/],
  ['explain with neither token nor user', ['explain'], /give --token or --user/],
  ['explain with both', ['explain', '--token', 't', '--user', 'u'], /give --token or --user/],
  ['audit with arguments', ['audit', 'x'], /audit takes no arguments/],
  ['token without create', ['token', 'make'], /expected: token create/],
  ['token create with a bad scope', ['token', 'create', '--actor', 'a', '--scope', 'admin'], /--scope: expected read or write/],
]

for (const [what, argv, message] of usage) {
  t.test(`${what} is a usage error: exit 2, the problem and the command's usage on stderr`, async (t) => {
    t.plan(3)
    const { code, err, out } = await cli(argv, ENV)
    t.equal(code, EXIT_USAGE)
    t.match(err, message)
    t.equal(out, '')
  })
}

t.test('a command that needs the server says which variable is missing or wrong, with exit 2', async (t) => {
  t.plan(6)
  const noUrl = await cli(['features'], { token: 'x' })
  t.equal(noUrl.code, EXIT_USAGE)
  t.match(noUrl.err, /set TIDEFLAGS_ADMIN_URL/)
  const badUrl = await cli(['features'], { url: 'localhost 5001', token: 'x' })
  t.match(badUrl.err, /set TIDEFLAGS_ADMIN_URL/)
  const noToken = await cli(['features'], { url: 'http://127.0.0.1:1', token: '' })
  t.equal(noToken.code, EXIT_USAGE)
  t.match(noToken.err, /set TIDEFLAGS_ADMIN_TOKEN/)
  t.equal(badUrl.code, EXIT_USAGE)
})

t.test('a server that cannot be reached is exit 1, with the reason', async (t) => {
  t.plan(2)
  const { code, err } = await cli(['features'], ENV)
  t.equal(code, EXIT_SERVER)
  t.match(err, /tideflags features: cannot reach the admin API: fetch failed \(.+\)/)
})

t.test('token create needs no server: it prints the token and its line, or both as JSON', async (t) => {
  t.plan(5)
  const text = await cli(['token', 'create', '--actor', 'alice', '--scope', 'read'])
  t.equal(text.code, EXIT_OK)
  t.match(text.out, /^token for alice \(read\); it is shown once:\ntfa_\S+\nadd this line to ADMIN_TOKENS_FILE:\nalice read [0-9a-f]{64}\n$/)
  const json = await cli(['token', 'create', '--actor', 'bob', '--scope', 'write', '--json'])
  const created = JSON.parse(json.out) as Record<string, string>
  t.match(created, { actor: 'bob', scope: 'write', token: /^tfa_/, line: /^bob write [0-9a-f]{64}$/ })
  const file = join(mkdtempSync(join(tmpdir(), 'tideflags-cli-run-')), 'tokens')
  const appended = await cli(['token', 'create', '--actor', 'carol', '--scope', 'write', '--file', file])
  t.equal(appended.code, EXIT_OK)
  t.match(appended.out, `line appended to ${file}`)
})
