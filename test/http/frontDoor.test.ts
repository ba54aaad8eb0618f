// The front door, on a listening app: a URL Fastify has answered is answered by the server's
// listener from then on, byte for byte what Fastify would send (but the request id and the date),
// from the result cache or read again; whatever it must not answer still reaches Fastify.
import { once } from 'node:events'
import { createConnection } from 'node:net'
import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import BetterSqlite3 from 'better-sqlite3'
import type { FastifyInstance } from 'fastify'
import { describe, expect, it, vi } from 'vitest'
import type { BuildAppConfig, BuildAppOptions } from '../../app/app.js'
import { sampleAccountAt, sampleAccounts } from '../../app/seed/sampleAccounts.js'
import { seedDatabase } from '../../app/seed/seedDatabase.js'
import { DATA_VERSION_RECHECK_MS } from '../../app/store/profilesCatalog.js'
import { build, sampleDatabase } from '../helpers/fixtures.js'

interface Answer { status: number, headers: Record<string, string>, body: string }

/** The app listening on 127.0.0.1, with the URLs of the requests Fastify itself received. */
async function listening (
  databasePath: string, overrides: Partial<BuildAppConfig> = {}, options: BuildAppOptions = {}
): Promise<{ app: FastifyInstance, get: (url: string, headers?: Record<string, string>, method?: string) => Promise<Answer>, fastifySaw: string[] }> {
  const app = await build(databasePath, overrides, options)
  const fastifySaw: string[] = []
  app.addHook('onRequest', (request, _reply, done) => {
    fastifySaw.push(`${request.method} ${request.url}`)
    done()
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const get = async (url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> => {
    const response = await fetch(`http://127.0.0.1:${port}${url}`, { method, headers })
    return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() }
  }
  return { app, get, fastifySaw }
}

/** An answer's headers but those that differ between any two answers (its id, its date). */
function lasting (headers: Record<string, string>): Record<string, string> {
  const { 'x-request-id': _id, date: _date, ...rest } = headers
  return rest
}

const untilWritesShow = () => sleep(DATA_VERSION_RECHECK_MS + 5)

// V8's gc(), without starting the test process with --expose-gc.
setFlagsFromString('--expose-gc')
const collectGarbage = runInNewContext('gc') as () => void

/** The server's logger options at `level`, its lines dropped. */
function loggingAt (level: string): BuildAppOptions {
  return { logger: { level, stream: new Writable({ write: (_chunk, _encoding, done) => done() }) } }
}

describe('the front door', async () => {
  const databasePath = await sampleDatabase(60)

  it.each([
    '/api/users/profiles', '/api/users/profiles?page=2&pagination=10&order_by=-username', '/api/users/profiles?username=ab',
    `/api/users/profiles/${sampleAccountAt(7).id}`, '/users/2', '/users?type=Organization'
  ])('answers %s from its second request on, with what Fastify sent', async (url) => {
    const { get, fastifySaw } = await listening(databasePath)
    const built = await get(url)
    const atDoor = await get(url)
    const againAtDoor = await get(url)

    expect(fastifySaw).toEqual([`GET ${url}`])
    expect(built.status).toBe(200)
    for (const answer of [atDoor, againAtDoor]) {
      expect(answer.status).toBe(200)
      expect(lasting(answer.headers)).toEqual(lasting(built.headers))
      expect(answer.body).toBe(built.body)
    }
    expect(atDoor.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(againAtDoor.headers['x-request-id']).not.toBe(atDoor.headers['x-request-id'])
  })

  it('keeps pipelined answers in their requests\' order when Fastify\'s takes longer', async () => {
    const { app, get, fastifySaw } = await listening(databasePath)
    for (let i = 0; i < 2; i++) await get('/api/users/profiles')
    fastifySaw.length = 0
    const { port } = app.server.address() as { port: number }
    const socket = createConnection({ host: '127.0.0.1', port })
    await once(socket, 'connect')
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    // A page rendered from its template (not cached yet) between two answers of the door.
    const request = (url: string) => `GET ${url} HTTP/1.1\r\nHost: x\r\n\r\n`
    socket.write(request('/users/3') + request('/api/users/profiles') + request('/users/3?pagination=10') + request('/api/users/profiles'))
    const received = () => Buffer.concat(chunks).toString('latin1')
    // Bodies end without a line break: the next status line follows the last byte of one.
    const statusLines = () => received().match(/HTTP\/1\.1 \d{3} [\w ]+\r\n/g) ?? []
    const closed = once(socket, 'close').then(() => { throw new Error(`connection closed after: ${received().slice(0, 300)}`) })
    while (statusLines().length < 4 || !received().endsWith('}')) await Promise.race([once(socket, 'data'), closed])
    socket.destroy()
    const kinds = received().match(/content-type: [\w/]+/gi)

    expect(statusLines()).toEqual(Array(4).fill('HTTP/1.1 200 OK\r\n'))
    expect(kinds?.map((kind) => kind.toLowerCase())).toEqual(['content-type: text/html', 'content-type: application/json', 'content-type: text/html', 'content-type: application/json'])
    expect(fastifySaw).toEqual(['GET /users/3', 'GET /users/3?pagination=10'])
  })

  it('sends back the X-Request-Id a client sent, as Fastify does', async () => {
    const { get } = await listening(databasePath)
    for (let i = 0; i < 2; i++) await get('/api/users/profiles')
    const answer = await get('/api/users/profiles', { 'x-request-id': 'trace-42.a:b' })
    expect(answer.headers['x-request-id']).toBe('trace-42.a:b')
    expect((await get('/api/users/profiles', { 'x-request-id': 'not a token' })).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('times its answers into their route\'s series of the request histogram', async () => {
    const { get, fastifySaw } = await listening(databasePath)
    for (let i = 0; i < 5; i++) await get('/api/users/profiles?page=2')
    const metrics = (await get('/metrics')).body
    expect(fastifySaw.filter((seen) => seen.startsWith('GET /api/'))).toHaveLength(1)
    expect(metrics).toContain('http_request_duration_seconds_count{method="GET",route="/api/users/profiles",status_code="200"} 5')
  })

  it('times each URL under its own route when two routes share an answer', async () => {
    const { get } = await listening(databasePath)
    for (let i = 0; i < 3; i++) await get('/users/2')
    for (let i = 0; i < 4; i++) await get('/users?page=2')
    const metrics = (await get('/metrics')).body
    expect(metrics).toContain('http_request_duration_seconds_count{method="GET",route="/users/:page",status_code="200"} 3')
    expect(metrics).toContain('http_request_duration_seconds_count{method="GET",route="/users",status_code="200"} 4')
  })

  it('leaves a request that arrives during shutdown to Fastify\'s 503', async () => {
    const { app, get } = await listening(databasePath)
    for (let i = 0; i < 3; i++) expect((await get('/api/users/profiles')).status).toBe(200)
    const { port } = app.server.address() as { port: number }
    const socket = createConnection({ host: '127.0.0.1', port })
    await once(socket, 'connect')
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    const received = once(socket, 'close').then(() => Buffer.concat(chunks).toString('latin1'))
    // Half a request when the app starts closing: Node keeps a connection that is receiving one.
    socket.write('GET /api/users/profiles HTTP/1.1\r\nHost: x\r\n')
    await sleep(50)
    const closing = app.close()
    await sleep(50)
    socket.write('\r\n')
    const answer = await received
    await closing
    expect(answer).toMatch(/^HTTP\/1\.1 503 /)
    expect(answer).toMatch(/\r\nconnection: close\r\n/i)
  })

  it('leaves conditional and HEAD requests, and other URLs, to Fastify', async () => {
    const { get, fastifySaw } = await listening(databasePath)
    const url = '/api/users/profiles'
    const first = await get(url)
    await get(url)
    fastifySaw.length = 0

    expect((await get(url, { 'if-none-match': first.headers.etag! })).status).toBe(304)
    const head = await get(url, {}, 'HEAD')
    expect(head.status).toBe(200)
    expect(head.headers.etag).toBe(first.headers.etag)
    expect((await get(`${url}?page=2`)).status).toBe(200)
    expect(fastifySaw).toEqual([`GET ${url}`, `HEAD ${url}`, `GET ${url}?page=2`])
  })

  it('never sends an answer of an older data version: it reads the new one', async () => {
    const path = await sampleDatabase(40)
    const { get, fastifySaw } = await listening(path)
    const url = '/api/users/profiles?pagination=100'
    const before = []
    for (let i = 0; i < 3; i++) before.push(await get(url))
    expect(before.map(({ body }) => JSON.parse(body).total)).toEqual([40, 40, 40])

    await seedDatabase({ databasePath: path, batches: sampleAccounts({ since: 0, total: 55 }) })
    await untilWritesShow()
    fastifySaw.length = 0
    const after = [await get(url), await get(url), await get(url)]
    expect(after.map(({ body }) => JSON.parse(body).total)).toEqual([55, 55, 55])
    expect(new Set(after.map(({ headers }) => headers.etag)).size).toBe(1)
    expect(after[0]!.headers.etag).not.toBe(before[0]!.headers.etag)
    expect(fastifySaw).toEqual([])
  })

  it('reads every answer afresh while the result cache is off', async () => {
    const path = await sampleDatabase(40)
    const { get, fastifySaw } = await listening(path, { resultCache: { enabled: false, maxEntries: 10, maxBytes: 1 << 20 } })
    const url = '/api/users/profiles?pagination=100'
    const built = await get(url)
    const atDoor = await get(url)
    expect(lasting(atDoor.headers)).toEqual(lasting(built.headers))
    expect(atDoor.body).toBe(built.body)

    // No wait: with nothing kept, the next read is the new data's.
    await seedDatabase({ databasePath: path, batches: sampleAccounts({ since: 0, total: 55 }) })
    const after = await get(url)
    expect(JSON.parse(after.body).total).toBe(55)
    expect(after.headers['x-total-count']).toBe('55')
    expect(after.headers.etag).not.toBe(built.headers.etag)
    expect(fastifySaw).toEqual([`GET ${url}`])
  })

  it.each([true, false])('leaves a read that fails to Fastify\'s error (result cache on: %s)', async (enabled) => {
    const path = await sampleDatabase(60)
    const { app, get, fastifySaw } = await listening(path, { resultCache: { enabled, maxEntries: 10, maxBytes: 1 << 20 } })
    const url = '/api/users/profiles?page=3'
    for (let i = 0; i < 2; i++) expect((await get(url)).status).toBe(200)

    // Another tool leaves 30 accounts, 2 pages: page 3 is past the last one now.
    const writer = new BetterSqlite3(path)
    writer.prepare('DELETE FROM users WHERE id NOT IN (SELECT id FROM users ORDER BY id LIMIT 30)').run()
    writer.close()
    await untilWritesShow()
    const gone = await get(url)
    expect(gone.status).toBe(404)
    expect(JSON.parse(gone.body).message).toBe('Page 3 is past the last page, 2')
    expect(gone.headers['cache-control']).toBe('no-store')
    expect(fastifySaw).toEqual([`GET ${url}`, `GET ${url}`])

    // Forgotten at the door until Fastify answers it a 200 again: one failing read a request, not two.
    const misses = app.resultCache.stats.misses
    expect((await get(url)).status).toBe(404)
    if (enabled) expect(app.resultCache.stats.misses).toBe(misses + 1)
    expect(fastifySaw).toEqual([`GET ${url}`, `GET ${url}`, `GET ${url}`])
  })

  it.each([true, false])('keeps no request or reply alive for the URLs it answers (result cache on: %s)', async (enabled) => {
    const app = await build(databasePath, { resultCache: { enabled, maxEntries: 10, maxBytes: 1 << 20 } })
    const answered: Array<WeakRef<object>> = []
    app.addHook('onResponse', (request, reply, done) => {
      answered.push(new WeakRef(request), new WeakRef(request.raw), new WeakRef(reply))
      done()
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as { port: number }
    const get = async (url: string) => {
      const response = await fetch(`http://127.0.0.1:${port}${url}`)
      await response.arrayBuffer()
      return response
    }
    const urls = ['/api/users/profiles?page=2', `/api/users/profiles/${sampleAccountAt(3).id}`, '/users/2']
    for (const url of urls) for (let i = 0; i < 2; i++) expect((await get(url)).status).toBe(200)
    expect(answered).toHaveLength(urls.length * 3)
    await vi.waitFor(() => {
      collectGarbage()
      expect(answered.filter((ref) => ref.deref() !== undefined)).toHaveLength(0)
    }, { timeout: 5_000, interval: 50 })
  })

  it('sends every answer of many requests that arrive together', async () => {
    const { get, fastifySaw } = await listening(databasePath, { resultCache: { enabled: false, maxEntries: 10, maxBytes: 1 << 20 } })
    const urls = Array.from({ length: 6 }, (_, i) => `/api/users/profiles?page=${i + 1}&pagination=10`)
    const built = await Promise.all(urls.map(async (url) => get(url)))
    const together = await Promise.all(Array.from({ length: 60 }, async (_, i) => get(urls[i % urls.length]!)))
    expect(together.map(({ status }) => status)).toEqual(Array(60).fill(200))
    expect(together.map(({ body }) => body)).toEqual(Array.from({ length: 60 }, (_, i) => built[i % urls.length]!.body))
    expect(fastifySaw).toHaveLength(urls.length)
  })

  it.each<[string, Partial<BuildAppConfig>, BuildAppOptions]>([
    ['the rate limit counts every request', { rateLimit: { enabled: true, max: 1000, windowSeconds: 60 } }, {}],
    ['each request writes log lines', {}, loggingAt('info')]
  ])('stays shut while %s: Fastify answers every request', async (_while, overrides, options) => {
    const { get, fastifySaw } = await listening(databasePath, overrides, options)
    const answers = []
    for (let i = 0; i < 4; i++) answers.push(await get('/api/users/profiles'))
    expect(answers.map(({ status }) => status)).toEqual([200, 200, 200, 200])
    expect(fastifySaw).toHaveLength(4)
  })

  it('opens with a logger whose level writes no line per request', async () => {
    const { get, fastifySaw } = await listening(databasePath, {}, loggingAt('warn'))
    for (let i = 0; i < 4; i++) await get('/api/users/profiles')
    expect(fastifySaw).toHaveLength(1)
  })
})
