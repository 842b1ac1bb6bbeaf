// A fake clock for code that takes its timers as a parameter (src/observability/log-limiter.ts): time moves only
// when a test says so, and the timers that fall due on the way run in order.

import type { Timers } from '../../src/observability/log-limiter.js'

/** One timer set on the fake clock. */
export interface FakeTimer { at: number, fn: () => void, unref: boolean }

export class FakeClock implements Timers {
  now = 0
  /** Timers not yet run. */
  readonly timers: FakeTimer[] = []

  setTimeout (fn: () => void, ms: number): { unref (): unknown } {
    const timer: FakeTimer = { at: this.now + ms, fn, unref: false }
    this.timers.push(timer)
    return { unref: () => { timer.unref = true } }
  }

  /** Move time on by `ms`, running every timer due by then. */
  advance (ms: number): void {
    const end = this.now + ms
    for (;;) {
      const due = this.timers.filter((timer) => timer.at <= end).sort((a, b) => a.at - b.at)[0]
      if (due === undefined) break
      this.timers.splice(this.timers.indexOf(due), 1)
      this.now = due.at
      due.fn()
    }
    this.now = end
  }
}
