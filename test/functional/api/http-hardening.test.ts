// HTTP hardening of a real service process: oversized headers, slow-loris, bodies on GET.

import { connect } from 'node:net'
import { request } from 'node:http'
import t from 'tap'
import { startService } from '../../helpers/service.js'

async function raw (port: number, chunks: string[], gapMs: number): Promise<{ text: string, ms: number }> {
  const t0 = Date.now()
  return await new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let text = ''
    let i = 0
    const timer = setInterval(() => {
      if (i < chunks.length && !socket.destroyed) socket.write(chunks[i++] as string)
    }, gapMs)
    socket.setEncoding('utf8')
    socket.on('data', (c: string) => { text += c })
    socket.on('close', () => { clearInterval(timer); resolve({ text, ms: Date.now() - t0 }) })
    socket.on('error', (err) => { clearInterval(timer); reject(err) })
  })
}

t.test('oversized headers get 431 and the worker keeps serving', async (t) => {
  const service = await startService({}, 1)
  t.teardown(async () => { await service.stop() })
  const answer = await raw(service.port, [`GET /features HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`], 1)
  t.match(answer.text, /^HTTP\/1\.1 431 /, '431')
  t.match(answer.text, '"key":"headers_too_large"')
  const again = await raw(service.port, ['GET /features HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'], 1)
  t.match(again.text, /^HTTP\/1\.1 200 /, 'the next request is served')
  t.notOk(service.logs.some((l) => l.msg === 'worker died unexpectedly; replacing it'), 'no crash')
})

t.test('a slow-loris client that never finishes its headers is cut with 408 soon after the headers timeout', async (t) => {
  const service = await startService({ HTTP_HEADERS_TIMEOUT_MS: '500', HTTP_REQUEST_TIMEOUT_MS: '500' }, 1)
  t.teardown(async () => { await service.stop() })
  const drip = ['GET /features HTTP/1.1\r\n', ...Array.from({ length: 100 }, (_, i) => `X-${i}: y\r\n`)]
  const answer = await raw(service.port, drip, 100)
  t.match(answer.text, /^HTTP\/1\.1 408 /, '408')
  t.ok(answer.ms < 2_500, `cut after ${answer.ms} ms, not after node's default 30 s sweep`)
})

t.test('a body on GET is read and ignored, and the connection stays usable', async (t) => {
  const service = await startService({}, 1)
  t.teardown(async () => { await service.stop() })
  const body = 'x'.repeat(100_000)
  const answers = await raw(service.port, [
    `GET /features HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    'GET /features HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
  ], 50)
  t.equal(answers.text.match(/HTTP\/1\.1 200 /g)?.length, 2, 'both requests on the connection answered 200')
})

t.test('HEAD /healthz and HEAD /metrics answer without a body', async (t) => {
  const service = await startService({}, 1)
  t.teardown(async () => { await service.stop() })
  for (const path of ['/healthz', '/metrics', '/readyz']) {
    const [status, length] = await new Promise<[number, number]>((resolve, reject) => {
      request(`${service.url}${path}`, { method: 'HEAD', agent: false }, (res) => {
        let n = 0
        res.on('data', (c: Buffer) => { n += c.length })
        res.on('end', () => resolve([res.statusCode ?? 0, n]))
      }).on('error', reject).end()
    })
    t.equal(status, 200, `${path} 200`)
    t.equal(length, 0, `${path} no body`)
  }
})
