// Reading request bodies, bounded: a client cannot make a worker buffer more than the limit.

import type { IncomingMessage } from 'node:http'
import { HttpError } from '../errors.js'
import { DEFAULTS } from '../config/defaults.js'

/** Largest request body accepted, in bytes. An evaluation context is a few hundred bytes. */
export const MAX_BODY_BYTES = DEFAULTS.maxBodyBytes // the size TF_ERR_BODY_TOO_LARGE names

/**
 * Read the whole body of a request.
 * @throws HttpError TF_ERR_BODY_TOO_LARGE past `limit` bytes (checked against Content-Length first,
 *   so an announced oversized body is refused before a byte of it is read);
 *   TF_ERR_BAD_REQUEST when the client goes away before the body is complete.
 */
export async function readBody (req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = req.headers['content-length']
  // node has already rejected a Content-Length that is not a number.
  if (declared !== undefined && Number(declared) > limit) throw new HttpError('TF_ERR_BODY_TOO_LARGE')
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    function onData (chunk: Buffer): void {
      size += chunk.length
      if (size > limit) {
        cleanup()
        reject(new HttpError('TF_ERR_BODY_TOO_LARGE'))
        return
      }
      chunks.push(chunk)
    }
    function onEnd (): void {
      cleanup()
      resolve(Buffer.concat(chunks, size))
    }
    function onClose (): void {
      cleanup()
      reject(new HttpError('TF_ERR_BAD_REQUEST'))
    }
    function cleanup (): void {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('close', onClose)
      req.off('error', onClose)
    }
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('close', onClose)
    req.on('error', onClose)
  })
}
