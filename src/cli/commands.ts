// The CLI's commands, mirroring the admin API route by route. Each names its usage, its options (for
// node:util parseArgs) and what it does with the parsed arguments.

import type { ParseArgsConfig } from 'node:util'
import { call, segment, type Target } from './client.js'
import * as format from './format.js'
import { createToken } from './token.js'

/** A command line that does not fit its command (exit status 2). */
export class UsageError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/** What a command gets besides its arguments. */
export interface Context {
  /** The admin API to call; throws UsageError when TIDEFLAGS_ADMIN_URL or TIDEFLAGS_ADMIN_TOKEN is missing. */
  target (): Target
  /** Print for people (text) or for scripts (the answer's JSON). */
  print (answer: unknown, text: string): void
}

type Values = Record<string, string | boolean | undefined>

/** One command. */
export interface Command {
  /** The arguments after the command's name, e.g. `add|rm FEATURE`. */
  readonly usage: string
  readonly summary: string
  readonly options: NonNullable<ParseArgsConfig['options']>
  run (args: readonly string[], values: Values, context: Context): Promise<void>
}

type Json = Record<string, unknown>

const SCHEDULE_FIELDS = ['start', 'end', 'days', 'from', 'to', 'tz'] as const

/** `add`/`rm` and the feature, or a usage error. */
function addOrRemove (args: readonly string[], from: number): { method: 'PUT' | 'DELETE', feature: string } {
  const verb = args[from]
  const feature = args[from + 1]
  if ((verb !== 'add' && verb !== 'rm') || feature === undefined || args.length !== from + 2) throw new UsageError('expected add or rm, then a feature name')
  return { method: verb === 'add' ? 'PUT' : 'DELETE', feature }
}

/** global add|rm and active add|rm. */
function featureSet (key: 'global' | 'active'): Command {
  return {
    usage: 'add|rm FEATURE',
    summary: `switch a feature on or off in ${key}_features`,
    options: {},
    async run (args, _values, context) {
      const { method, feature } = addOrRemove(args, 0)
      const answer = await call(context.target(), method, `features/${segment(feature)}/${key}`) as Json
      context.print(answer, format.write(`${feature} ${key}`, answer))
    },
  }
}

/** The commands by name. */
export const COMMANDS: Readonly<Record<string, Command>> = {
  features: {
    usage: '',
    summary: 'every known feature with its state',
    options: {},
    async run (args, _values, context) {
      if (args.length > 0) throw new UsageError('features takes no arguments')
      const answer = await call(context.target(), 'GET', 'features') as Json
      context.print(answer, format.features(answer))
    },
  },
  global: featureSet('global'),
  active: featureSet('active'),
  user: {
    usage: 'ID [add|rm FEATURE]',
    summary: "a user's own features, or add or remove one",
    options: {},
    async run (args, _values, context) {
      const id = args[0]
      if (id === undefined) throw new UsageError('expected a user id')
      if (args.length === 1) {
        const answer = await call(context.target(), 'GET', `users/${segment(id)}/features`) as Json
        return context.print(answer, format.names('FEATURE', answer.features as string[]))
      }
      const { method, feature } = addOrRemove(args, 1)
      const answer = await call(context.target(), method, `users/${segment(id)}/features/${segment(feature)}`) as Json
      context.print(answer, format.write(`user ${id} ${feature}`, answer))
    },
  },
  location: {
    usage: '[NAME [add|rm FEATURE]]',
    summary: "every location's features, one location's, or add or remove one",
    options: {},
    async run (args, _values, context) {
      const name = args[0]
      if (name === undefined) {
        const answer = await call(context.target(), 'GET', 'locations') as Json
        return context.print(answer, format.locations(answer))
      }
      if (args.length === 1) {
        const answer = await call(context.target(), 'GET', `locations/${segment(name)}`) as Json
        return context.print(answer, format.names('FEATURE', answer.features as string[]))
      }
      const { method, feature } = addOrRemove(args, 1)
      const answer = await call(context.target(), method, `locations/${segment(name)}/features/${segment(feature)}`) as Json
      context.print(answer, format.write(`location ${name} ${feature}`, answer))
    },
  },
  schedule: {
    usage: 'FEATURE [--start T] [--end T] [--days D] [--from HH:MM] [--to HH:MM] [--tz ZONE] | FEATURE --delete',
    summary: "set a feature's schedule (it replaces the whole schedule), or remove it",
    options: {
      ...Object.fromEntries(SCHEDULE_FIELDS.map((field) => [field, { type: 'string' as const }])),
      delete: { type: 'boolean' },
    },
    async run (args, values, context) {
      const feature = args[0]
      if (feature === undefined || args.length > 1) throw new UsageError('expected one feature name')
      const fields = Object.fromEntries(SCHEDULE_FIELDS.filter((f) => values[f] !== undefined).map((f) => [f, values[f]]))
      const remove = values.delete === true
      if (remove === (Object.keys(fields).length > 0)) throw new UsageError('give schedule fields, or --delete alone')
      const answer = await call(context.target(), remove ? 'DELETE' : 'PUT', `features/${segment(feature)}/schedule`, remove ? undefined : fields) as Json
      context.print(answer, format.write(`${feature} schedule`, answer))
    },
  },
  rollout: {
    usage: 'FEATURE PERCENT | FEATURE --delete',
    summary: "set a feature's rollout percent (0 to 100, two decimals at most), or remove it",
    options: { delete: { type: 'boolean' } },
    async run (args, values, context) {
      const [feature, percent] = args
      const remove = values.delete === true
      if (feature === undefined || args.length !== (remove ? 1 : 2)) throw new UsageError('expected a feature name and a percent, or a feature name and --delete')
      const answer = await call(context.target(), remove ? 'DELETE' : 'PUT', `features/${segment(feature)}/rollout`, remove ? undefined : { percent }) as Json
      context.print(answer, format.write(`${feature} rollout`, answer))
    },
  },
  explain: {
    usage: '--token TOKEN | --user ID [--location NAME] [--at TIME]',
    summary: 'what /features answers a caller, and why, feature by feature',
    options: { token: { type: 'string' }, user: { type: 'string' }, location: { type: 'string' }, at: { type: 'string' } },
    async run (args, values, context) {
      if (args.length > 0 || (values.token === undefined) === (values.user === undefined)) throw new UsageError('give --token or --user')
      const body = Object.fromEntries(['token', 'user', 'location', 'at'].filter((k) => values[k] !== undefined).map((k) => [k, values[k]]))
      const answer = await call(context.target(), 'POST', 'explain', body) as Json
      context.print(answer, format.explanation(answer))
    },
  },
  audit: {
    usage: '[--limit N] [--before ID]',
    summary: 'the audit trail, newest first',
    options: { limit: { type: 'string' }, before: { type: 'string' } },
    async run (args, values, context) {
      if (args.length > 0) throw new UsageError('audit takes no arguments')
      const query = new URLSearchParams()
      if (values.limit !== undefined) query.set('limit', values.limit as string)
      if (values.before !== undefined) query.set('before', values.before as string)
      const answer = await call(context.target(), 'GET', `audit${query.size > 0 ? '?' + query.toString() : ''}`) as Json
      context.print(answer, format.audit(answer))
    },
  },
  token: {
    usage: 'create --actor NAME --scope read|write [--file PATH]',
    summary: 'make an admin token and its ADMIN_TOKENS_FILE line (offline; --file appends the line)',
    options: { actor: { type: 'string' }, scope: { type: 'string' }, file: { type: 'string' } },
    async run (args, values, context) {
      if (args.length !== 1 || args[0] !== 'create') throw new UsageError('expected: token create')
      const created = createToken((values.actor ?? '') as string, (values.scope ?? '') as string, values.file as string | undefined)
      if (typeof created === 'string') throw new UsageError(created)
      const where = values.file === undefined ? `add this line to ADMIN_TOKENS_FILE:\n${created.line}\n` : `line appended to ${values.file as string}\n`
      context.print(created, `token for ${created.actor} (${created.scope}); it is shown once:\n${created.token}\n${where}`)
    },
  },
}
