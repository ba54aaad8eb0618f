// Answers written outside the routes, over raw sockets to a listening app: a request that is not
// HTTP, an over-long header block, and a request arriving while the app shuts down all get our
// JSON error with the headers every answer carries.
import { once } from 'node:events'
import { createConnection, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { describe, expect, it } from 'vitest'
import { SERVER_LIMITS } from '../../app/http/serverLimits.js'
import { SECURITY_HEADERS } from '../../app/plugins/external/helmet.js'
import { build, sampleDatabase } from '../helpers/fixtures.js'

interface RawResponse { status: number, headers: Record<string, string>, body: string }

/** Every response in `bytes`, each read by its Content-Length. */
function parseResponses (bytes: Buffer): RawResponse[] {
  const responses: RawResponse[] = []
  let at = 0
  while (at < bytes.length) {
    const headEnd = bytes.indexOf('\r\n\r\n', at)
    if (headEnd < 0) throw new Error(`an incomplete response head: ${bytes.subarray(at).toString('latin1').slice(0, 200)}`)
    const [statusLine, ...lines] = bytes.subarray(at, headEnd).toString('latin1').split('\r\n')
    const headers = Object.fromEntries(lines.map((line) => {
      const colon = line.indexOf(':')
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]
    }))
    const length = Number(headers['content-length'])
    const body = bytes.subarray(headEnd + 4, headEnd + 4 + length)
    if (body.length < length) throw new Error(`a body cut off: ${body.length} of ${length} bytes`)
    responses.push({ status: Number(statusLine!.split(' ')[1]), headers, body: body.toString() })
    at = headEnd + 4 + length
  }
  return responses
}

async function connect (app: FastifyInstance): Promise<{ socket: Socket, received: Promise<Buffer> }> {
  const { port } = app.server.address() as { port: number }
  const socket = createConnection({ host: '127.0.0.1', port })
  await once(socket, 'connect')
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  const received = once(socket, 'close').then(() => Buffer.concat(chunks))
  return { socket, received }
}

/** What the server sends back to `bytes`, on a connection it closes. */
async function exchange (app: FastifyInstance, bytes: string): Promise<RawResponse[]> {
  const { socket, received } = await connect(app)
  socket.end(bytes)
  return parseResponses(await received)
}

function expectOurError (response: RawResponse, statusCode: number): void {
  expect(response.status).toBe(statusCode)
  expect(response.headers).toMatchObject({ ...SECURITY_HEADERS, 'cache-control': 'no-store', 'content-type': 'application/json; charset=utf-8' })
  const body = JSON.parse(response.body) as { statusCode: number, error: string, message: string }
  expect(body).toMatchObject({ statusCode })
  expect(body.message.length).toBeGreaterThan(10)
}

describe('answers Fastify would write itself', async () => {
  const app = await build(await sampleDatabase(20))
  await app.listen({ port: 0, host: '127.0.0.1' })

  it.each([
    ['a request line that is not HTTP', 'HELLO THERE\r\n\r\n'],
    ['a header name with a space', 'GET /ping HTTP/1.1\r\nHost: x\r\nbad header: 1\r\n\r\n'],
    ['a bare line feed inside a header value', 'GET /ping HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n']
  ])('%s gets a 400 with our headers, and the connection closed', async (_kind, bytes) => {
    const [response, ...more] = await exchange(app, bytes)
    expectOurError(response!, 400)
    expect(response!.headers.connection).toBe('close')
    expect(more).toEqual([])
  })

  it('a page URL with raw non-ASCII bytes gets the HTML 400 page with our headers; an /api one gets JSON', async () => {
    const { socket, received } = await connect(app)
    socket.end(Buffer.from('GET /users?PAGE=\xfc HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1'))
    const [page] = parseResponses(await received)
    expect(page!.status).toBe(400)
    expect(page!.headers).toMatchObject({ ...SECURITY_HEADERS, 'cache-control': 'no-store', 'content-type': 'text/html; charset=utf-8' })
    expect(page!.body).toMatch(/<!doctype html>/i)
    expect(page!.body).toContain('href="/users"')

    const api = await connect(app)
    api.socket.end(Buffer.from('GET /api/users/profiles?username=\xfc HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1'))
    expectOurError(parseResponses(await api.received)[0]!, 400)
  })

  it('a header block over the limit gets a 431 with our headers', async () => {
    const [response] = await exchange(app, `GET /api/users/profiles HTTP/1.1\r\nHost: x\r\nX-Filler: ${'a'.repeat(SERVER_LIMITS.maxHeaderSize + 1)}\r\n\r\n`)
    expectOurError(response!, 431)
    expect(JSON.parse(response!.body)).toMatchObject({ error: 'Request Header Fields Too Large' })
  })
})

describe('a request that arrives while the app shuts down', () => {
  it('gets a 503 with our headers, and its connection closed', async () => {
    const app = await build(await sampleDatabase(20))
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { socket, received } = await connect(app)
    // Half a request when the app starts closing: Node keeps a connection that is receiving one.
    socket.write('GET /api/users/profiles HTTP/1.1\r\nHost: x\r\n')
    await sleep(50)
    const closed = app.close()
    await sleep(50)
    socket.write('Accept: application/json\r\n\r\n')
    const [refused, ...more] = parseResponses(await received)
    await closed

    expectOurError(refused!, 503)
    expect(refused!.headers.connection).toBe('close')
    expect(refused!.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(more).toEqual([])
  })
})
