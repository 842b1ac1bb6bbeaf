// Repeated failed sign-ins from one address: after `limit` failures within a window that starts at the
// address's first failure, the address gets 429 with Retry-After until the window ends, whatever token
// it sends (a correct one included: an attacker must not learn which guess was right).
// Each worker counts on its own (README "Backoffice"): sharing the count through Redis would put a
// write on the path of every failure, and would not exist on the embedded store. The number of
// addresses remembered is bounded; past it the oldest window is forgotten.

/** Per-address failure windows of one worker. */
export class FailureLimit {
  readonly #limit: number
  readonly #windowMs: number
  readonly #maxAddresses: number
  readonly #now: () => number
  /** address -> its window; insertion order is the order windows started. */
  readonly #windows = new Map<string, { readonly start: number, count: number }>()

  /**
   * @param limit failures allowed per window
   * @param windowMs the window's length
   * @param maxAddresses addresses remembered
   * @param now the clock (tests pass a fake one)
   */
  constructor (limit: number, windowMs: number, maxAddresses: number, now: () => number = Date.now) {
    this.#limit = limit
    this.#windowMs = windowMs
    this.#maxAddresses = maxAddresses
    this.#now = now
  }

  /** How long (ms) the address must wait before it may try again; 0 when it may now. */
  blockedFor (address: string): number {
    const window = this.#current(address)
    if (window === undefined || window.count < this.#limit) return 0
    return window.start + this.#windowMs - this.#now()
  }

  /** Count a failed sign-in from the address. */
  fail (address: string): void {
    const window = this.#current(address)
    if (window !== undefined) {
      window.count++
      return
    }
    if (this.#windows.size >= this.#maxAddresses) this.#windows.delete(this.#windows.keys().next().value as string)
    this.#windows.set(address, { start: this.#now(), count: 1 })
  }

  /** The address's window, unless it has ended (then it is forgotten). */
  #current (address: string): { readonly start: number, count: number } | undefined {
    const window = this.#windows.get(address)
    if (window === undefined) return undefined
    if (this.#now() - window.start < this.#windowMs) return window
    this.#windows.delete(address)
    return undefined
  }
}
