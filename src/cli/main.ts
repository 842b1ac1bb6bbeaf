#!/usr/bin/env node
// The `tideflags` command (package.json "bin"). The only file of the CLI that reads the environment
// (test/unit/architecture.test.ts holds the rule): the CLI is its own program, with its own variables,
// and never loads the service's configuration.

import { run } from './run.js'

process.exitCode = await run(process.argv.slice(2), {
  url: process.env.TIDEFLAGS_ADMIN_URL,
  token: process.env.TIDEFLAGS_ADMIN_TOKEN,
}, {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
})
