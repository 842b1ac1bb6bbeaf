// Issue 12's web console end to end: headless Chromium drives the console the built service
// (node dist/main.js, over real Redis) serves on its admin port, as an operator would, with the mouse
// and with the keyboard alone. What the console changed is checked where it matters: in the public
// port's /features answer and in the admin API, both fetched from this test. The console runs under its
// Content-Security-Policy all along, and every CSP report Chromium makes is collected.
//
// Screenshots of each screen go to test-results/console/ (git-ignored); UPDATE_SCREENSHOTS=1 also
// writes docs/console.png, the README's picture, from the same run.

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import t from 'tap'
import { tokenLine } from '../../../src/config/admin-tokens.js'
import { request, READ_TOKEN, WRITE_TOKEN } from '../../helpers/admin.js'
import { launchChromium } from '../../helpers/chromium.js'
import { addInlineStyle, controls, focused, hasFocus, rowsOf, storage } from '../../helpers/page-inspect.js'
import { freePort, RedisServer, seedExample } from '../../helpers/redis-server.js'
import { startService, type Service } from '../../helpers/service.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const SHOTS = join(ROOT, 'test-results', 'console')
const SEED_TOKEN = 'test-admin-seed-token'
/** Where the console keeps the admin token (src/console/session.ts). */
const TOKEN_KEY = 'tideflags.adminToken'
/** The README example's user token: user 1. */
const USER_TOKEN = '1234'
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Each part is stopped at the end even if a later one fails to start.
const users = await new RedisServer().start()
t.teardown(() => users.stop())
const features = await new RedisServer().start()
t.teardown(() => features.stop())
await seedExample(users, features)
const tokens = join(mkdtempSync(join(tmpdir(), 'tideflags-console-')), 'tokens')
writeFileSync(tokens, [tokenLine('alice', 'write', WRITE_TOKEN), tokenLine('bob', 'read', READ_TOKEN), tokenLine('seed', 'write', SEED_TOKEN), ''].join('\n'))
const adminPort = await freePort()
// A generous command timeout: the machine may be busy, and a 503 is not what this test is about.
const service: Service = await startService({
  REDIS_USERS_URL: users.url, REDIS_FEATURES_URL: features.url, ADMIN_PORT: String(adminPort), ADMIN_TOKENS_FILE: tokens, REDIS_COMMAND_TIMEOUT_MS: '5000',
}, 1)
t.teardown(async () => { await service.stop() })
const ADMIN = `http://127.0.0.1:${adminPort}`
const CONSOLE = `${ADMIN}/`

const browser: Browser = await launchChromium()
t.teardown(() => browser.close())
const context = await browser.newContext({ viewport: { width: 1200, height: 760 } })
const page: Page = await context.newPage()
/** Everything the page printed, and every uncaught error in it. */
const consoleLines: string[] = []
const pageErrors: string[] = []
page.on('console', (message) => { consoleLines.push(`${message.type()}: ${message.text()}`) })
page.on('pageerror', (err) => { pageErrors.push(String(err)) })
const cdp = await context.newCDPSession(page)

mkdirSync(SHOTS, { recursive: true })

async function shoot (name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })
}

/** The features /features answers the README's user (token 1234) on the public port. */
async function userFeatures (): Promise<string[]> {
  const res = await fetch(`${service.url}/features`, { headers: { authorization: `Bearer ${USER_TOKEN}` } })
  return ((await res.json()) as { active_features: string[] }).active_features
}

async function until<T> (read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 5_000
  for (;;) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Go to a view by its address, and wait for its heading. */
async function visit (hash: string, heading: string): Promise<void> {
  await page.goto(`${CONSOLE}${hash}`)
  await page.getByRole('heading', { level: 1, name: heading }).waitFor()
}

// The admin store's own Redis clients connect after the worker listens.
await until(async () => (await request(ADMIN, 'GET', '/admin/v1/features', { token: READ_TOKEN })).status, (status) => status === 200, 'the admin API')
// Older entries the audit trail pages through: 21 writes by another actor, before the console's own.
for (let i = 0; i <= 20; i++) {
  const answer = await request(ADMIN, 'PUT', `/admin/v1/users/7/features/seeded_${String(i).padStart(2, '0')}`, { token: SEED_TOKEN })
  if (answer.status !== 200) throw new Error(`seeding the audit trail failed: ${JSON.stringify(answer.json)}`)
}

t.test('the console is served at / under its policy, and a wrong token gets the sign-in error and is not kept', async (t) => {
  t.plan(8)
  const res = await page.goto(CONSOLE)
  const headers = res?.headers() ?? {}
  t.same([res?.status(), headers['content-type'], headers['content-security-policy'], headers['x-content-type-options']],
    [200, 'text/html; charset=utf-8', CSP, 'nosniff'])
  await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor()
  const signIn = await controls(page, cdp)
  t.same(signIn.unnamed, [], 'every control of the sign-in form has a name')
  t.same(signIn.names, ['textbox: Admin token', 'button: Sign in'])
  await page.getByLabel('Admin token').fill('not-a-token')
  await page.getByRole('button', { name: 'Sign in' }).click()
  const alert = page.getByRole('alert')
  await alert.filter({ hasText: 'Sign-in refused' }).waitFor()
  t.equal(await alert.textContent(), 'Sign-in refused: Unauthorized', 'the API\'s message')
  t.equal(await page.locator('#token-error').textContent(), 'Sign-in refused: Unauthorized', 'next to the field')
  t.equal(await page.getByLabel('Admin token').getAttribute('aria-invalid'), 'true')
  t.equal((await storage(page, TOKEN_KEY)).session, 0, 'nothing kept')
  t.ok(await page.getByRole('navigation', { name: 'Sections' }).isHidden(), 'still signed out')
  await shoot('sign-in-refused')
})

t.test('with the keyboard alone: Tab reaches the token field with a visible focus ring, Enter signs in', async (t) => {
  t.plan(6)
  await page.goto(CONSOLE)
  await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor()
  await page.keyboard.press('Tab')
  t.same(await focused(page), { id: 'token', text: '', ring: 'solid 3px' }, 'the first Tab stop is the token field, ringed')
  await page.keyboard.type(WRITE_TOKEN)
  await page.keyboard.press('Tab')
  t.same(await focused(page), { id: '', text: 'Sign in', ring: 'solid 3px' }, 'the next is the button, ringed too')
  await page.keyboard.press('Shift+Tab')
  await page.keyboard.press('Enter')
  await page.getByRole('heading', { level: 1, name: 'Features' }).waitFor()
  t.equal((await focused(page)).text, 'Features', 'the focus moved to the new screen\'s heading')
  t.same(await storage(page, TOKEN_KEY), { session: 1, local: 0, value: WRITE_TOKEN }, 'kept in this tab\'s session storage only, nowhere that outlives the tab')
  t.ok(await page.getByRole('navigation', { name: 'Sections' }).isVisible())
  await page.getByRole('checkbox', { name: 'feature_3 active' }).waitFor()
  t.same(await page.locator('#features tbody th').allTextContents(), ['feature_1', 'feature_2', 'feature_3'])
})

t.test('retiring a feature (unticking active) takes it out of /features for the user', async (t) => {
  t.plan(4)
  t.ok((await userFeatures()).includes('feature_3'), 'before: the user has it')
  const box = page.getByRole('checkbox', { name: 'feature_3 active' })
  await box.uncheck()
  await page.getByRole('status').filter({ hasText: 'feature_3 active: true -> false' }).waitFor()
  t.notOk(await box.isChecked())
  t.same(await until(userFeatures, (list) => !list.includes('feature_3'), 'feature_3 to leave /features'), ['feature_1', 'feature_2'])
  t.ok(await hasFocus(page, '[aria-label="feature_3 active"]'), 'the focus stayed on the box after the table was read again')
  await shoot('features-retired')
})

t.test('setting a rollout: a bad percent is refused next to its field, a good one is saved', async (t) => {
  t.plan(6)
  await page.getByRole('link', { name: 'feature_3', exact: true }).click()
  await page.getByRole('heading', { level: 1, name: 'feature_3' }).waitFor()
  const percent = page.getByLabel('Percent of users')
  await percent.fill('150')
  await page.getByRole('button', { name: 'Save rollout' }).click()
  await page.locator('#rollout-percent-error').filter({ hasText: /./ }).waitFor()
  t.equal(await page.locator('#rollout-percent-error').textContent(), 'expected a percent from 0 to 100 with at most two decimals')
  t.equal(await page.getByRole('alert').textContent(), 'The request is not valid; see errors')
  t.ok(await hasFocus(page, '#rollout-percent') && await percent.getAttribute('aria-invalid') === 'true', 'the focus is on the refused field, marked invalid')
  await percent.fill('25')
  await page.getByRole('button', { name: 'Save rollout' }).click()
  await page.getByRole('status').filter({ hasText: 'feature_3 rollout: - -> 25' }).waitFor()
  t.equal(await page.locator('#rollout-percent-error').textContent(), '', 'the old error is gone')
  t.match(await page.locator('#feature-state').textContent(), /Rollout25%/)
  const listed = await request(ADMIN, 'GET', '/admin/v1/features', { token: READ_TOKEN })
  t.same(listed.json.features.find((f: { name: string }) => f.name === 'feature_3').rollout, { percent: '25', valid: true })
})

t.test('the schedule editor shows each refused field by its field, then saves the schedule', async (t) => {
  t.plan(4)
  await page.getByLabel('Days').fill('mon,funday')
  await page.getByLabel('Time zone').fill('Mars/Olympus')
  await page.getByRole('button', { name: 'Save schedule' }).click()
  await page.locator('#schedule-tz-error').filter({ hasText: /./ }).waitFor()
  t.equal(await page.locator('#schedule-days-error').textContent(), 'expected a comma-separated list of mon, tue, wed, thu, fri, sat, sun')
  t.equal(await page.locator('#schedule-tz-error').textContent(), 'expected an IANA time zone name, e.g. Europe/Madrid')
  await page.getByLabel('Days').fill('sat,sun')
  await page.getByLabel('Time zone').fill('Europe/Madrid')
  await page.getByLabel('From').fill('09:00')
  await page.getByLabel('To').fill('21:00')
  await page.getByRole('button', { name: 'Save schedule' }).click()
  await page.getByRole('status').filter({ hasText: 'feature_3 schedule: - -> days=sat,sun from=09:00 to=21:00 tz=Europe/Madrid' }).waitFor()
  t.same(await page.locator('.field-error').allTextContents(), ['', '', '', '', '', '', ''], 'no error left')
  t.match(await page.locator('#feature-state').textContent(), /Scheduledays=sat,sun from=09:00 to=21:00 tz=Europe\/Madrid \((open|closed)\)/)
  await shoot('feature')
})

t.test('a user\'s and a location\'s features: view, add and remove', async (t) => {
  t.plan(6)
  await page.getByRole('link', { name: 'Users' }).click()
  await page.getByLabel('User id').fill('1')
  await page.keyboard.press('Enter')
  await page.getByRole('heading', { level: 1, name: 'User 1' }).waitFor()
  const own = page.getByRole('list', { name: 'Features of user 1' }).getByRole('link')
  await page.getByRole('button', { name: 'Remove feature_4 from user 1' }).waitFor()
  t.same(await own.allTextContents(), ['feature_3', 'feature_4'])
  await page.getByLabel('Feature name').fill('feature_9')
  await page.getByRole('button', { name: 'Add', exact: true }).click()
  await page.getByRole('status').filter({ hasText: 'user 1 feature_9: false -> true' }).waitFor()
  t.same(await own.allTextContents(), ['feature_3', 'feature_4', 'feature_9'])
  await page.getByRole('button', { name: 'Remove feature_4 from user 1' }).click()
  await page.getByRole('status').filter({ hasText: 'user 1 feature_4: true -> false' }).waitFor()
  t.same(await own.allTextContents(), ['feature_3', 'feature_9'])
  await shoot('user')

  await visit('#/locations/es', 'Location ES')
  await page.getByLabel('Feature name').fill('feature_9')
  await page.getByRole('button', { name: 'Add', exact: true }).click()
  await page.getByRole('status').filter({ hasText: 'location ES feature_9: false -> true' }).waitFor()
  t.same(await page.getByRole('list', { name: 'Features of location ES' }).getByRole('link').allTextContents(), ['feature_9'])
  t.match(await page.locator('table').textContent(), /ESfeature_9/, 'the table of every location follows')
  const places = await request(ADMIN, 'GET', '/admin/v1/locations/ES', { token: READ_TOKEN })
  t.same(places.json, { name: 'ES', features: ['feature_9'] })
  await shoot('location')
})

t.test('the audit view shows the console\'s changes, newest first, and pages back with before=', async (t) => {
  t.plan(6)
  await page.getByRole('link', { name: 'Audit' }).click()
  await page.locator('#audit tbody tr').first().waitFor()
  // Every column but the time.
  const rows = async (): Promise<string[]> => await rowsOf(page, '#audit tbody tr', 1)
  const first = await rows()
  t.equal(first.length, 20, 'a page of 20')
  t.same(first.slice(0, 7), [
    'alice | location.add | location:ES feature_9 | false | true',
    'alice | user.remove | features:user:1 feature_4 | true | false',
    'alice | user.add | features:user:1 feature_9 | false | true',
    'alice | schedule.set | schedule:feature_3 | - | days=sat,sun from=09:00 to=21:00 tz=Europe/Madrid',
    'alice | rollout.set | rollout feature_3 | - | 25',
    'alice | active.remove | active_features feature_3 | true | false',
    'seed | user.add | features:user:7 seeded_20 | false | true',
  ], 'the retirement and the rollout, among the console\'s changes, newest first')
  await shoot('audit')
  await page.getByRole('link', { name: 'Older entries' }).click()
  await page.getByRole('link', { name: 'Newest entries' }).waitFor()
  const second = await rows()
  t.same(second, Array.from({ length: 7 }, (_, i) => `seed | user.add | features:user:7 seeded_${String(6 - i).padStart(2, '0')} | false | true`), 'the rest, oldest last')
  t.match(page.url(), /#\/audit\/\d+-\d+$/, 'the page\'s address holds its before=')
  t.notOk(await page.getByRole('link', { name: 'Older entries' }).isVisible(), 'no older page')
  await page.getByRole('link', { name: 'Newest entries' }).click()
  await page.getByRole('link', { name: 'Older entries' }).waitFor()
  t.equal((await rows())[0], first[0], 'back to the newest page')
})

t.test('explain: a refusal names its field; a user id gets /features\' answer and every feature\'s why', async (t) => {
  t.plan(5)
  await page.getByRole('link', { name: 'Explain' }).click()
  await page.getByRole('button', { name: 'Explain' }).click()
  await page.locator('#explain-user-error').filter({ hasText: /./ }).waitFor()
  t.equal(await page.locator('#explain-user-error').textContent(), 'give either token or user')
  await page.getByLabel('User id').fill('1')
  await page.getByLabel('Location (optional)').fill('es')
  await page.getByRole('button', { name: 'Explain' }).click()
  await page.locator('#explain-answer').waitFor()
  t.equal(await page.locator('#explain-answer').textContent(), JSON.stringify(await userFeatures()), 'the answer /features gives')
  t.same([await page.locator('#alert').textContent(), await page.locator('#explain-user-error').textContent()], ['', ''], 'the earlier refusal is cleared')
  const why = await rowsOf(page, '#explain tbody tr', 0, 3)
  t.ok(why.includes('feature_3 | off | not_active'), why.join('; '))
  t.ok(why.includes('feature_9 | off | not_active'), 'in ES and the user\'s own set, but not active')
  await shoot('explain')
})

t.test('every input, button and select on every screen has an accessible name', async (t) => {
  // Each screen, and what it draws last (after its data arrives).
  const screens: [string, string, string][] = [
    ['#/features', 'Features', '#features'],
    ['#/features/feature_3', 'feature_3', 'form[aria-label="Rollout of feature_3"]'],
    ['#/users/1', 'User 1', 'ul.members li'],
    ['#/locations/ES', 'Location ES', 'table'],
    ['#/audit', 'Audit trail', '#audit'],
    ['#/explain', 'Explain', 'form'],
  ]
  t.plan(screens.length * 2)
  for (const [hash, heading, last] of screens) {
    await visit(hash, heading)
    await page.locator(last).first().waitFor()
    const found = await controls(page, cdp)
    t.same(found.unnamed, [], `${hash}: no unnamed control among ${found.names.join(', ')}`)
    t.equal(found.names.length, found.domCount, `${hash}: the tree holds every control`)
  }
})

t.test('a read token can look, and its writes get the API\'s refusal; signing out forgets the token', async (t) => {
  t.plan(4)
  await page.getByRole('button', { name: 'Sign out' }).click()
  await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor()
  t.equal((await storage(page, TOKEN_KEY)).session, 0)
  await page.getByLabel('Admin token').fill(READ_TOKEN)
  await page.keyboard.press('Enter')
  // Signed in again, the console shows the view it was on; the features are one link away.
  await page.getByRole('heading', { level: 1, name: 'Explain' }).waitFor()
  await page.getByRole('link', { name: 'Features' }).click()
  const box = page.getByRole('checkbox', { name: 'feature_1 global' })
  // A click, not uncheck(): the box is expected to come back ticked.
  await box.click()
  await page.getByRole('alert').filter({ hasText: /./ }).waitFor()
  t.equal(await page.getByRole('alert').textContent(), 'This admin token may only read')
  t.ok(await box.isChecked(), 'the box shows the unchanged state again')
  t.ok((await userFeatures()).includes('feature_1'))
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByLabel('Admin token').fill(WRITE_TOKEN)
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { level: 1, name: 'Features' }).waitFor()
    // The README's picture: feature_9, in ES, switched on there.
    await page.getByRole('checkbox', { name: 'feature_9 active' }).check()
    await page.locator('#status').filter({ hasText: 'feature_9 active: false -> true' }).waitFor()
    await page.screenshot({ path: join(ROOT, 'docs', 'console.png'), clip: { x: 0, y: 0, width: 1200, height: 540 } })
  }
})

t.test('no CSP violation and no script error happened; the policy is enforced (an inline style is refused and reported)', async (t) => {
  t.plan(3)
  const refused = (lines: readonly string[]): string[] => lines.filter((line) => /Content Security Policy|Refused to/i.test(line))
  t.same(refused(consoleLines), [], 'no violation during the run')
  t.same(pageErrors, [])
  const before = consoleLines.length
  await addInlineStyle(page)
  await until(async () => refused(consoleLines.slice(before)), (lines) => lines.length > 0, 'the violation report')
  t.match(refused(consoleLines.slice(before))[0], /style-src 'self'/, 'the listener sees violations, so its silence above means none')
})
