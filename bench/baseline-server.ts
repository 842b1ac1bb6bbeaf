// The static baseline: a node:http cluster answering every request with one fixed JSON body of the
// service's answer size. No routing, no Redis: the ceiling for any node:http service on this machine.
// Usage: baseline-server.ts <port> <workers> <bodyBytes>

import cluster from 'node:cluster'
import { createServer } from 'node:http'
import { runPrimary } from './reference-primary.js'

const [port, workers, bodyBytes] = process.argv.slice(2).map(Number) as [number, number, number]

/** A valid JSON body of exactly `bytes` bytes (ASCII), shaped like a /features answer. */
function staticBody (bytes: number): string {
  const frame = '{"active_features":[""]}'
  return frame.replace('""', `"${'x'.repeat(Math.max(0, bytes - frame.length))}"`)
}

if (cluster.isPrimary) {
  runPrimary('baseline', workers)
} else {
  // Built once, like the undici benchmark server: the handler only writes. A string, not a Buffer:
  // node then sends headers and body in one write instead of a two-chunk writev, which measured
  // 14-35% more req/s here; the ceiling must be the fastest static answer node:http can give.
  const body = staticBody(bodyBytes)
  const headers = { 'content-type': 'application/json', 'content-length': body.length }
  createServer((_req, res) => {
    res.writeHead(200, headers)
    res.end(body)
  }).listen(port, '127.0.0.1')
}
