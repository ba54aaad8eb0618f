// Fastify's own request logger, one line per answer: every request's lines carry its id; /metrics writes none below warn.
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { build, sampleDatabase } from '../helpers/fixtures.js'
import type { LogLine } from '../helpers/serverProcess.js'

/** A stream collecting the JSON lines written to it. */
function lineCollector () {
  const lines: LogLine[] = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString().split('\n')) if (text) lines.push(JSON.parse(text) as LogLine)
      done()
    }
  })
  return { lines, stream }
}

/** pino writes to a stream synchronously, but a Writable's own callback runs on the next tick. */
const flushed = () => new Promise((resolve) => setImmediate(resolve))

describe('the request log', () => {
  it('has one line per answer at info, naming the request, its status and time, and none for /metrics', async () => {
    const { lines, stream } = lineCollector()
    const app = await build(await sampleDatabase(5), {}, { logger: { level: 'info', stream } })
    await app.inject({ url: '/api/users/profiles?pagination=2', headers: { 'x-request-id': 'req-a' } })
    await app.inject({ url: '/api/users/profiles?page=0', headers: { 'x-request-id': 'req-c' } })
    await app.inject({ url: '/metrics', headers: { 'x-request-id': 'req-b' } })
    await flushed()
    expect(lines.filter((line) => line.reqId === 'req-a')).toEqual([expect.objectContaining({
      level: 30,
      msg: 'request completed',
      req: expect.objectContaining({ method: 'GET', url: '/api/users/profiles?pagination=2' }),
      res: { statusCode: 200 },
      responseTime: expect.any(Number)
    })])
    expect(lines.filter((line) => line.reqId === 'req-c').map((line) => [line.msg, line.res])).toEqual([['request completed', { statusCode: 400 }]])
    expect(lines.filter((line) => line.reqId === 'req-b')).toEqual([])
  })

  it('also has the arrival line at debug, and still none for /metrics', async () => {
    const { lines, stream } = lineCollector()
    const app = await build(await sampleDatabase(5), {}, { logger: { level: 'debug', stream } })
    await app.inject({ url: '/api/users/profiles', headers: { 'x-request-id': 'req-d' } })
    await app.inject({ url: '/metrics', headers: { 'x-request-id': 'req-e' } })
    await flushed()
    expect(lines.filter((line) => line.reqId === 'req-d').map((line) => line.msg)).toEqual(['incoming request', 'request completed'])
    expect(lines.filter((line) => line.reqId === 'req-e')).toEqual([])
  })

  it('writes no request line at warn', async () => {
    const { lines, stream } = lineCollector()
    const app = await build(await sampleDatabase(5), {}, { logger: { level: 'warn', stream } })
    expect((await app.inject('/api/users/profiles')).statusCode).toBe(200)
    await flushed()
    expect(lines).toEqual([])
  })
})
