// The process as production runs it: `npm start` on a fresh clone, JSON logs with request ids, and
// graceful shutdown on SIGTERM (requests in flight answered in full, then exit 0), with 1 and 2 workers.
import { existsSync, readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { beforeAll, describe, expect, it } from 'vitest'
import { BOOTSTRAP_DIST_DIR } from '../app/paths.js'
import { build, sampleDatabase, temporaryDirectory } from './helpers/fixtures.js'
import { freePort } from './helpers/freePort.js'
import {
  eventually, exitStatus, listeningUrl, spawnServer, startCompiledServer, type LogLine, type ServerProcess
} from './helpers/serverProcess.js'

const npmStart = (env: Record<string, string>) => spawnServer('npm', ['start', '--silent'], env)

describe('npm start', () => {
  it('creates a missing database from 150 sample users, says so, serves, and exits 0 on SIGTERM', async () => {
    const databasePath = join(temporaryDirectory(), 'fresh', 'github_users.db')
    const server = npmStart({ DATABASE_PATH: databasePath })
    const url = await listeningUrl(server)

    expect(await (await fetch(`${url}/ping`)).json()).toEqual({ status: 'ok' })
    const page = await (await fetch(`${url}/api/users/profiles`)).json() as { total: number }
    expect(page.total).toBe(150)
    expect(server.output()).toContain('created one with 150 sample users')
    expect(server.output()).toContain('npm run seed')
    const db = new BetterSqlite3(databasePath, { readonly: true })
    expect(db.prepare('SELECT count(*) FROM users').pluck().get()).toBe(150)
    db.close()

    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
  })

  it('serves from WEB_CONCURRENCY worker processes sharing one port, and stops them all on SIGTERM', async () => {
    const databasePath = join(temporaryDirectory(), 'workers.db')
    const server = npmStart({ DATABASE_PATH: databasePath, WEB_CONCURRENCY: '2' })
    const url = await listeningUrl(server, 2)
    const pids = new Set([...server.output().matchAll(/"pid":(\d+)[^\n]*Server listening/g)].map((match) => match[1]))
    expect(pids.size).toBe(2)
    expect((await fetch(`${url}/api/users/profiles?pagination=1`)).status).toBe(200)

    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
  })

  it('stops with status 1 and names the variable when the configuration is bad', async () => {
    const databasePath = join(temporaryDirectory(), 'never.db')
    const server = npmStart({ DATABASE_PATH: databasePath, PORT: 'eighty' })
    expect(await server.exited).toBe(1)
    expect(server.output()).toContain('PORT')
    expect(existsSync(databasePath)).toBe(false)
  })

  it.each([1, 2])('stops with status 1 and one line saying why when PostgreSQL cannot be reached (WEB_CONCURRENCY=%i)', async (workers) => {
    const closedPort = await freePort()
    const server = startCompiledServer({ DATABASE_URL: `postgres://ghusers:s3cret@127.0.0.1:${closedPort}/ghusers`, WEB_CONCURRENCY: String(workers) })
    expect(await exitStatus(server)).toBe(1)
    expect(server.stderr().trim()).toBe(
      `Could not start (database: postgres://ghusers@127.0.0.1:${closedPort}/ghusers): connect ECONNREFUSED 127.0.0.1:${closedPort}`)
  })
})

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

describe('logs', () => {
  let server: ServerProcess
  let url: string
  beforeAll(async () => {
    server = startCompiledServer({ DATABASE_PATH: await sampleDatabase(50) })
    url = await listeningUrl(server)
  })

  /** The "request completed" line of `reqId`, once it is written. */
  const completedLine = (reqId: string) => eventually(`the "request completed" line of ${reqId}`,
    () => server.logLines().find((line) => line.reqId === reqId && line.msg === 'request completed'))

  it('are pino JSON lines when stdout is not a terminal', async () => {
    const response = await fetch(`${url}/ping`)
    await response.text()
    // The child's lines come through a pipe: the answer can arrive before them.
    await completedLine(response.headers.get('x-request-id')!)
    const lines = server.stdout().split('\n').filter((line) => line !== '')
    expect(lines.length).toBeGreaterThan(1)
    for (const line of lines) {
      expect(() => JSON.parse(line), line).not.toThrow()
      expect(JSON.parse(line), line).toMatchObject({ level: expect.any(Number), time: expect.any(Number), pid: server.child.pid, msg: expect.any(String) })
    }
  })

  it('echo a sane X-Request-Id and log the request under it, with its status and response time', async () => {
    const response = await fetch(`${url}/api/users/profiles/1`, { headers: { 'X-Request-Id': 'abc-123' } })
    await response.text()
    expect(response.headers.get('x-request-id')).toBe('abc-123')
    expect(await completedLine('abc-123')).toMatchObject({
      level: 30, reqId: 'abc-123', req: { method: 'GET', url: '/api/users/profiles/1' }, res: { statusCode: response.status }, responseTime: expect.any(Number)
    })
  })

  it('give every request a fresh UUID when none is sent', async () => {
    const ids = await Promise.all([0, 1].map(async () => (await fetch(`${url}/ping`)).headers.get('x-request-id')))
    expect(ids[0]).toMatch(UUID)
    expect(ids[1]).toMatch(UUID)
    expect(ids[0]).not.toBe(ids[1])
    expect(await completedLine(ids[0]!)).toMatchObject({ responseTime: expect.any(Number) })
  })

  it.each([['300 characters', 'a'.repeat(300)], ['spaces', 'abc 123'], ['a quote', 'abc"123']])(
    'replace an X-Request-Id with %s by a fresh UUID', async (_kind, sent) => {
      const response = await fetch(`${url}/ping`, { headers: { 'X-Request-Id': sent } })
      await response.text()
      const id = response.headers.get('x-request-id')!
      expect(id).toMatch(UUID)
      expect(await completedLine(id)).toMatchObject({ res: { statusCode: 200 } })
      expect(server.stdout()).not.toContain(JSON.stringify(sent))
    })
})

/** A file big enough that a few of them fill the kernel's socket buffers while the client does not read. */
const BIG_FILE = 'css/bootstrap.css.map'
const BIG_FILE_BYTES = readFileSync(join(BOOTSTRAP_DIST_DIR, BIG_FILE))
/** Pipelined requests for BIG_FILE: about 11 MB, more than loopback buffers take, so the last ones wait on the client. */
const PIPELINED = 16

interface RawResponse { status: number, headers: Record<string, string>, body: Buffer }

/** Splits the bytes of pipelined HTTP/1.1 responses (each with a Content-Length) into responses. */
function splitResponses (bytes: Buffer): RawResponse[] {
  const responses: RawResponse[] = []
  for (let at = 0; at < bytes.length;) {
    const headEnd = bytes.indexOf('\r\n\r\n', at)
    if (headEnd < 0) throw new Error(`a response head was cut off after ${responses.length} responses`)
    const [statusLine, ...lines] = bytes.subarray(at, headEnd).toString('latin1').split('\r\n')
    const headers = Object.fromEntries(lines.map((line) => {
      const colon = line.indexOf(':')
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]
    }))
    const bodyStart = headEnd + 4
    const body = bytes.subarray(bodyStart, bodyStart + Number(headers['content-length']))
    responses.push({ status: Number(statusLine!.split(' ')[1]), headers, body })
    at = bodyStart + body.length
  }
  return responses
}

/**
 * A client that pipelines GETs of BIG_FILE on one connection, then stops reading after the first
 * bytes (as a slow client does), so the server still has answers to send until it resumes.
 */
function stalledClient (url: URL, requestIds: string[]) {
  const socket = connect(Number(url.port), url.hostname)
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  socket.once('data', () => socket.pause())
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()))
  socket.on('error', () => {})
  socket.write(requestIds.map((id) =>
    `GET /static/bootstrap/${BIG_FILE} HTTP/1.1\r\nHost: ${url.host}\r\nX-Request-Id: ${id}\r\n\r\n`).join(''))
  return {
    resume: () => socket.resume(),
    /** Everything received, once the server closed the connection. */
    received: async () => { await closed; return Buffer.concat(chunks) }
  }
}

/** Whether a new TCP connection to `url` is refused. */
function refusesConnections (url: URL): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname)
    socket.on('connect', () => { socket.destroy(); resolve(false) })
    socket.on('error', () => resolve(true))
  })
}

const messageIs = (msg: string, reqId?: string) => (line: LogLine) =>
  line.msg === msg && (reqId === undefined || line.reqId === reqId)

describe.each([1, 2])('SIGTERM with WEB_CONCURRENCY=%i', (workers) => {
  const environment = async () => ({
    DATABASE_PATH: await sampleDatabase(300),
    WEB_CONCURRENCY: String(workers),
    SHUTDOWN_TIMEOUT: '8',
    // The arrival lines ("incoming request") tell when every pipelined request has reached the app.
    LOG_LEVEL: 'debug'
  })

  it('answers the requests in flight in full, refuses new connections meanwhile, and exits 0', async () => {
    const server = startCompiledServer(await environment())
    const url = new URL(await listeningUrl(server, workers))
    const ids = Array.from({ length: PIPELINED }, (_, i) => `in-flight-${i}`)
    const client = stalledClient(url, ids)
    // Every request has reached the app before the signal.
    await eventually('every pipelined request to arrive', () =>
      ids.every((id) => server.logLines().some(messageIs('incoming request', id))))
    const servingPid = server.logLines().find(messageIs('incoming request', ids[0]))!.pid

    server.child.kill('SIGTERM')
    await eventually('the worker to start shutting down', () =>
      server.logLines().some((line) => line.msg === 'shutting down' && line.pid === servingPid))
    await eventually('new connections to be refused', () => refusesConnections(url))
    expect(server.child.exitCode, 'the server waits for the stalled client').toBeNull()

    client.resume()
    const responses = splitResponses(await client.received())
    expect(responses.map((response) => response.status)).toEqual(ids.map(() => 200))
    for (const response of responses) expect(response.body.equals(BIG_FILE_BYTES)).toBe(true)
    expect(await exitStatus(server)).toBe(0)

    // Some of the answers were still being sent when the signal arrived: they end after it, in the log.
    const lines = server.logLines().filter((line) => line.pid === servingPid)
    const signalled = lines.findIndex((line) => line.msg === 'shutting down')
    const completedAfter = ids.filter((id) => lines.findIndex(messageIs('request completed', id)) > signalled)
    expect(completedAfter.length, 'requests still in flight at the signal').toBeGreaterThan(0)
  })

  it('under keep-alive load: every answer received is a whole 200 or 503, and it exits 0 in time', async () => {
    const server = startCompiledServer(await environment())
    const url = await listeningUrl(server, workers)
    const paths = ['/api/users/profiles?pagination=100&page=2', '/static/bootstrap/css/bootstrap.min.css', '/users/3']
    const statuses: number[] = []
    const problems: string[] = []
    let signalledAt = Infinity
    let answeredAfterSignal = 0

    /** One client on keep-alive connections, asking until the server stops answering. */
    async function client (n: number): Promise<void> {
      for (let i = n; ; i++) {
        let response: Response
        try {
          response = await fetch(url + paths[i % paths.length])
        } catch (error) {
          // Not answered: refused or closed before an answer. Only acceptable once shutting down.
          if (Date.now() < signalledAt) problems.push(`before the signal: ${String(error)}`)
          return
        }
        try {
          const body = Buffer.from(await response.arrayBuffer())
          const length = response.headers.get('content-length')
          if (length !== null && body.length !== Number(length)) problems.push(`${response.url}: ${body.length} of ${length} bytes`)
        } catch (error) {
          problems.push(`${response.url}: the body was cut off (${String(error)})`)
        }
        statuses.push(response.status)
        if (Date.now() >= signalledAt) answeredAfterSignal++
      }
    }

    const clients = Array.from({ length: 16 }, (_, n) => client(n))
    await eventually('the load to be under way', () => statuses.length >= 100)
    signalledAt = Date.now()
    server.child.kill('SIGTERM')
    const exit = await exitStatus(server, 8_000 + 2_000)
    await Promise.all(clients)

    expect(problems).toEqual([])
    expect(exit).toBe(0)
    expect(new Set(statuses.filter((status) => status !== 200 && status !== 503))).toEqual(new Set())
    expect(answeredAfterSignal, 'answers received after the signal').toBeGreaterThan(0)
  })
})

describe('closing the app', () => {
  it('closes its database connection (what the server awaits on SIGTERM before exiting)', async () => {
    const app = await build(await sampleDatabase(10))
    expect(app.profiles.countAll()).toBe(10)
    await app.close()
    expect(() => app.profiles.countAll()).toThrow(/not open/)
  })
})
