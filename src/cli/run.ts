// The CLI's command line: the command's name, then its arguments parsed by node:util parseArgs, which
// is strict (an unknown option is an error), typed, and needs no dependency; the commands are few and
// flat, which is all it does not do for us (no subcommand trees, no generated help).
// Exit status: 0 done, 1 the server reported an error (or could not be reached), 2 a usage error.

import { parseArgs } from 'node:util'
import { ServerError } from './client.js'
import { COMMANDS, UsageError, type Command, type Context } from './commands.js'

/** Where the CLI writes. */
export interface Io {
  out (text: string): void
  err (text: string): void
}

/** The CLI's environment: TIDEFLAGS_ADMIN_URL and TIDEFLAGS_ADMIN_TOKEN. */
export interface CliEnv {
  readonly url: string | undefined
  readonly token: string | undefined
}

export const EXIT_OK = 0
export const EXIT_SERVER = 1
export const EXIT_USAGE = 2

const COMMON = { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const

function usageOf (name: string, command: Command): string {
  return `tideflags ${name}${command.usage === '' ? '' : ' ' + command.usage} [--json]`
}

/** The overall help. */
export function help (): string {
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  ${usageOf(name, command)}\n      ${command.summary}`)
  return 'tideflags: the tideflags admin API from the command line\n\n' +
    `${lines.join('\n')}\n\n` +
    'Environment: TIDEFLAGS_ADMIN_URL (e.g. http://127.0.0.1:5001), TIDEFLAGS_ADMIN_TOKEN (an admin token).\n' +
    'Every command takes --help, and --json to print the API\'s JSON answer.\n' +
    'Exit status: 0 done, 1 the server reported an error, 2 a usage error.\n'
}

/** Run one command line; resolves to the exit status. */
export async function run (argv: readonly string[], env: CliEnv, io: Io): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.err : io.out)(help())
    return name === undefined ? EXIT_USAGE : EXIT_OK
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined
  if (command === undefined) {
    io.err(`tideflags: unknown command ${JSON.stringify(name)}\n\n${help()}`)
    return EXIT_USAGE
  }
  try {
    let parsed: { values: Record<string, string | boolean | undefined>, positionals: string[] }
    try {
      parsed = parseArgs({ args: [...rest], options: { ...command.options, ...COMMON }, allowPositionals: true, strict: true })
    } catch (err) {
      throw new UsageError((err as Error).message)
    }
    const { values, positionals } = parsed
    if (values.help === true) {
      io.out(`${usageOf(name, command)}\n  ${command.summary}\n`)
      return EXIT_OK
    }
    const context: Context = {
      target () {
        if (env.url === undefined || !URL.canParse(env.url)) throw new UsageError('set TIDEFLAGS_ADMIN_URL to the admin listener\'s URL, e.g. http://127.0.0.1:5001')
        if (env.token === undefined || env.token === '') throw new UsageError('set TIDEFLAGS_ADMIN_TOKEN to an admin token')
        return { url: env.url, token: env.token }
      },
      print (answer, text) {
        io.out(values.json === true ? JSON.stringify(answer, null, 2) + '\n' : text)
      },
    }
    await command.run(positionals, values, context)
    return EXIT_OK
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`tideflags ${name}: ${err.message}\nusage: ${usageOf(name, command)}\n`)
      return EXIT_USAGE
    }
    if (err instanceof ServerError) {
      const fields = Object.entries(err.errors).map(([field, message]) => `\n  ${field}: ${message}`).join('')
      io.err(`tideflags ${name}: ${err.message} (${err.status} ${err.key})${fields}\n`)
      return EXIT_SERVER
    }
    // fetch failed: the server could not be reached (refused, DNS, a bad URL). Not a usage error: the
    // same command may work once the service is up.
    const cause = (err as Error & { cause?: { message?: string } }).cause?.message
    io.err(`tideflags ${name}: cannot reach the admin API: ${(err as Error).message}${cause === undefined ? '' : ` (${cause})`}\n`)
    return EXIT_SERVER
  }
}
