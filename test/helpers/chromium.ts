// Headless Chromium for browser tests: Debian's `chromium` package (.ci/run installs it), driven by
// playwright-core, which downloads no browser of its own.

import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

/** The Chromium binary: CHROMIUM_PATH, else where Debian's package puts it. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Launch headless Chromium; the caller closes it. */
export async function launchChromium (): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`browser tests need Chromium at ${CHROMIUM_PATH}: apt-get install chromium, or set CHROMIUM_PATH`)
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true })
}
