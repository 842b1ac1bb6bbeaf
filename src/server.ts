// The HTTP server of one worker: plain node:http, the routes, and deliberate timeouts.

import { createServer as createHttpServer, type Server } from 'node:http'
import type { Logger } from 'pino'
import type { Config } from './config.js'
import { HTTP_ERRORS, type HttpErrorDef } from './errors.js'
import { featuresRoute } from './features.js'
import { ofrepRoutes } from './ofrep.js'
import { Replier } from './reply.js'
import { createRouter } from './router.js'
import type { FeatureStore } from './store/index.js'

// Written straight to the socket: node has no response object for a request it could not parse.
function rawResponse (def: HttpErrorDef, reason: string): Buffer {
  return Buffer.concat([
    Buffer.from(`HTTP/1.1 ${def.statusCode} ${reason}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${def.body.length}\r\nConnection: close\r\n\r\n`),
    def.body,
  ])
}
const BAD_REQUEST = rawResponse(HTTP_ERRORS.TF_ERR_BAD_REQUEST, 'Bad Request')
const REQUEST_TIMEOUT = rawResponse(HTTP_ERRORS.TF_ERR_REQUEST_TIMEOUT, 'Request Timeout')
const HEADERS_TOO_LARGE = rawResponse(HTTP_ERRORS.TF_ERR_HEADERS_TOO_LARGE, 'Request Header Fields Too Large')

/** Create (not start) the HTTP server for a store. */
export function createServer (config: Config, store: FeatureStore, log: Logger): Server {
  const replier = new Replier(config, log)
  const routes = [featuresRoute(store, replier), ...ofrepRoutes(config, store, log)]
  const server = createHttpServer({
    keepAliveTimeout: config.keepAliveTimeoutMs,
    // node requires headersTimeout <= requestTimeout; a request that cannot finish its headers in
    // time is cut (slow loris), with 408.
    headersTimeout: Math.min(config.headersTimeoutMs, config.requestTimeoutMs),
    requestTimeout: config.requestTimeoutMs,
  }, createRouter(routes, replier))
  // A malformed request (bad header bytes, oversized headers -> 431) is answered by node itself;
  // without this listener such a socket error would be unhandled.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy()
      return
    }
    socket.end(err.code === 'HPE_HEADER_OVERFLOW' ? HEADERS_TOO_LARGE
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? REQUEST_TIMEOUT
        : BAD_REQUEST)
  })
  return server
}
