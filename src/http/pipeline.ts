// Bounds the work one connection can make its worker do, and accounts for every request it sent.
//
// node parses every request of a received chunk and emits them all at once, and buffers each answer
// until the socket takes it: a client that pipelines requests and never reads its answers would get
// unbounded handler work and memory. Here a connection has at most `max` requests handed to the
// router and not yet closed; later ones wait here in order and the socket stops reading until
// answers drain. A response "closes" once node has written it to the kernel (or the connection died),
// so a client that does not read holds at most `max` requests of work. One read from the socket can
// still hold ~1000 small requests (node parses a whole 64 KiB chunk before anything can pause it), so
// a connection with more than `maxWaiting` requests waiting is cut: no real pipelining client sends
// that many without reading, and each waiting request costs a few KB.
//
// node also never emits 'close' for responses still queued behind an unfinished one when the socket
// dies; the sweep below emits it for them, so each request is counted exactly once.

import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

/** Answers one request; `match` is what the caller decided for it before it was held (the router's match). */
type Listener<M> = (req: IncomingMessage, res: ServerResponse, match: M) => void

const kConnection = Symbol('tideflags.connection')

interface Connection {
  /** Responses of this connection not yet closed, in request order: the dispatched ones, then the waiting ones. */
  readonly open: ServerResponse[]
  /** The match of each response in `open`, at the same index. */
  readonly matches: unknown[]
  /** How many of `open` (from its start) were handed to the listener. */
  dispatched: number
}

type TrackedSocket = Socket & { [kConnection]?: Connection }

/** Per-connection bound on dispatched requests, in front of a request listener. */
export class ConnectionLimit<M> {
  readonly #listener: Listener<M>
  readonly #max: number
  readonly #maxWaiting: number

  /**
   * @param max requests of one connection handed to `listener` and not yet closed
   * @param maxWaiting requests of one connection held back; one more and the connection is destroyed
   */
  constructor (listener: Listener<M>, max: number, maxWaiting: number) {
    this.#listener = listener
    this.#max = max
    this.#maxWaiting = maxWaiting
  }

  /** Hand the request to the listener now, or hold it until an earlier one of its connection closes. */
  admit (req: IncomingMessage, res: ServerResponse, match: M): void {
    const socket = req.socket as TrackedSocket
    let connection = socket[kConnection]
    if (connection === undefined) {
      // Once per connection, not per request: shared functions, no closures.
      connection = { open: [], matches: [], dispatched: 0 }
      socket[kConnection] = connection
      socket.on('close', sweep)
      socket.on('resume', stayPaused)
    }
    connection.open.push(res)
    connection.matches.push(match)
    if (connection.dispatched < this.#max) {
      connection.dispatched++
      this.#listener(req, res, match)
      return
    }
    // Stop reading: the requests of the chunk being parsed still arrive, the next chunk does not.
    if (connection.open.length - connection.dispatched <= this.#maxWaiting) socket.pause()
    else socket.destroy() // the sweep counts every request it held, on 'close'
  }

  /** The response closed (answered or aborted): free its place and dispatch the next waiting request. */
  release (res: ServerResponse): void {
    const socket = res.req.socket as TrackedSocket
    const connection = socket[kConnection] as Connection // admit() ran for every released response
    const open = connection.open
    // Responses finish in request order, so this is nearly always the first; shift() spares the
    // array splice() would allocate on every request.
    const matches = connection.matches
    let i = 0
    if (open[0] === res) {
      open.shift()
      matches.shift()
    } else {
      open.splice(i = open.indexOf(res), 1)
      matches.splice(i, 1)
    }
    if (i >= connection.dispatched) return // a waiting one, swept with its dead connection
    connection.dispatched--
    if (open.length === connection.dispatched || socket.destroyed) return
    const next = open[connection.dispatched] as ServerResponse
    const match = matches[connection.dispatched] as M
    connection.dispatched++
    if (open.length === connection.dispatched) socket.resume()
    this.#listener(next.req, next, match)
  }
}

// The socket closed: node emits 'close' for the response it was writing and for those already
// finished, but not for the ones queued behind them. Emit it for those, once each.
function sweep (this: TrackedSocket): void {
  const open = (this[kConnection] as Connection).open
  for (const res of open.slice()) {
    if (res.socket === null && !res.writableFinished) res.emit('close')
  }
}

// node resumes a socket it paused for its own reasons once the socket drains; keep it paused while
// requests still wait here. ('resume' is emitted on the next tick, before any further read.)
function stayPaused (this: TrackedSocket): void {
  const connection = this[kConnection] as Connection
  if (connection.open.length > connection.dispatched) this.pause()
}
