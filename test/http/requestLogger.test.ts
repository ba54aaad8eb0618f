// Each request's lazy logger: the lines it writes are the ones a pino child would write, with the
// request's id, and a request whose lines the level drops makes no child at all.
import { Writable } from 'node:stream'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { lazyRequestLogger } from '../../app/http/requestLogger.js'
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

/** A pino logger at `level` writing into an array, and the number of children it has made. */
function capturedLogger (level: string) {
  const { lines, stream } = lineCollector()
  let children = 0
  const logger = pino({ level, onChild: () => { children++ } }, stream)
  return { logger, lines, children: () => children }
}

/** pino writes to a stream synchronously, but a Writable's own callback runs on the next tick. */
const flushed = () => new Promise((resolve) => setImmediate(resolve))

describe('the request logger', () => {
  it('makes no child for lines its level drops, and writes the others with the request id', async () => {
    const { logger, lines, children } = capturedLogger('warn')
    const log = lazyRequestLogger(logger, { reqId: 'r-1' }, {})
    log.info({ req: 'x' }, 'incoming request')
    log.debug('details')
    expect(children()).toBe(0)
    expect(log.level).toBe('warn')

    log.warn({ statusCode: 503 }, 'slow %s', 'database')
    log.error(new Error('boom'))
    await flushed()
    expect(children()).toBe(1)
    expect(lines).toMatchObject([
      { level: 40, reqId: 'r-1', statusCode: 503, msg: 'slow database' },
      { level: 50, reqId: 'r-1', err: { message: 'boom' } }
    ])
  })

  it('gives its own children the request id too, and takes a level of its own', async () => {
    const { logger, lines } = capturedLogger('warn')
    const log = lazyRequestLogger(logger, { reqId: 'r-2' }, {})
    log.child({ part: 'cache' }).warn('evicted')
    log.level = 'debug'
    expect(log.level).toBe('debug')
    log.debug('now written')
    expect(logger.level).toBe('warn')
    await flushed()
    expect(lines).toMatchObject([
      { level: 40, reqId: 'r-2', part: 'cache', msg: 'evicted' },
      { level: 20, reqId: 'r-2', msg: 'now written' }
    ])
  })

  it('is a pino child at once for a route with a level or serializers of its own', async () => {
    const { logger, lines, children } = capturedLogger('info')
    const quiet = lazyRequestLogger(logger, { reqId: 'r-3' }, { level: 'warn' })
    expect(children()).toBe(1)
    expect(quiet.level).toBe('warn')
    const masked = lazyRequestLogger(logger, { reqId: 'r-4' }, { serializers: { token: () => '***' } })
    expect(children()).toBe(2)
    masked.info({ token: 'secret' }, 'signed in')
    await flushed()
    expect(lines).toMatchObject([{ reqId: 'r-4', token: '***', msg: 'signed in' }])
  })

  it('is the app\'s: no child for a request at warn, and every request\'s lines with its id at info', async () => {
    const quiet = lineCollector()
    let children = 0
    const quietApp = await build(await sampleDatabase(5), {}, { logger: { level: 'warn', stream: quiet.stream, onChild: () => { children++ } } })
    expect((await quietApp.inject('/api/users/profiles')).statusCode).toBe(200)
    expect(children).toBe(0)

    const { lines, stream } = lineCollector()
    const app = await build(await sampleDatabase(5), {}, { logger: { level: 'info', stream } })
    await app.inject({ url: '/api/users/profiles', headers: { 'x-request-id': 'req-a' } })
    await app.inject({ url: '/metrics', headers: { 'x-request-id': 'req-b' } })
    await flushed()
    expect(lines.filter((line) => line.reqId === 'req-a').map((line) => line.msg)).toEqual(['incoming request', 'request completed'])
    expect(lines.filter((line) => line.reqId === 'req-b')).toEqual([])
  })
})
