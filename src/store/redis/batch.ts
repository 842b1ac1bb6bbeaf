// Per-turn batching of reads. Every request that arrives during one turn of the event loop asks here
// for what it needs; at the end of the turn (setImmediate: after node has read every ready socket)
// the whole batch leaves as ONE command. Redis then runs one script call instead of dozens, and the
// worker builds, writes and parses one command instead of dozens. That per-command cost, on both
// sides, was most of an authenticated request's price (bench/README.md, optimisation 4).
//
// Freshness: a read is sent after every request that waits on it arrived, so an answer is never older
// than its request. (Joining a read already in flight would be cheaper and would break that.)

/** One key's place in the batch: every caller asking for the key in this turn shares its promise. */
interface Slot<V> {
  readonly promise: Promise<V>
  resolve: (value: V | PromiseLike<V>) => void
  reject: (err: unknown) => void
}

/**
 * Sends the keys of one batch; resolves to one result per key, in the same order. A result that is
 * an Error fails that key's callers only (a wrong-typed key must not fail its neighbours); a rejection
 * fails the whole batch (the connection, a timeout). A result may also be a promise, for a key that
 * needs a second look: its callers wait for it while the rest of the batch is answered at once.
 */
export type SendBatch<V> = (keys: readonly string[]) => Promise<ReadonlyArray<V | Error | PromiseLike<V>>>

/** Collects the keys asked for during one event-loop turn and reads them with one call. */
export class Batch<V> {
  readonly #send: SendBatch<V>
  readonly #maxKeys: number
  #slots = new Map<string, Slot<V>>()
  #scheduled = false
  readonly #flush = (): void => {
    this.#scheduled = false
    this.#dispatch()
  }

  /** @param maxKeys most keys per call: a script runs alone on Redis, so its length is bounded */
  constructor (send: SendBatch<V>, maxKeys: number) {
    this.#send = send
    this.#maxKeys = maxKeys
  }

  /** The value for a key, read with the rest of this turn's batch. */
  get (key: string): Promise<V> {
    const known = this.#slots.get(key)
    if (known !== undefined) return known.promise
    let resolve!: (value: V | PromiseLike<V>) => void
    let reject!: (err: unknown) => void
    const promise = new Promise<V>((res, rej) => { resolve = res; reject = rej })
    this.#slots.set(key, { promise, resolve, reject })
    if (this.#slots.size >= this.#maxKeys) {
      this.#dispatch() // full: send now, start the next batch
    } else if (!this.#scheduled) {
      this.#scheduled = true
      setImmediate(this.#flush)
    }
    return promise
  }

  #dispatch (): void {
    const slots = this.#slots
    if (slots.size === 0) return
    this.#slots = new Map()
    const keys = Array.from(slots.keys())
    let sent: ReturnType<SendBatch<V>>
    try {
      sent = this.#send(keys)
    } catch (err) {
      sent = Promise.reject(err)
    }
    sent.then((results) => {
      let i = 0
      for (const slot of slots.values()) {
        const result = results[i++]
        if (result instanceof Error) slot.reject(result)
        else slot.resolve(result as V | PromiseLike<V>)
      }
    }, (err: unknown) => {
      for (const slot of slots.values()) slot.reject(err)
    })
  }
}
