// The service on PostgreSQL (DATABASE_URL), over HTTP: the same answers as on the file, health and
// metrics of its own, a seed from another machine seen at once, and an outage that is a 503.
import type { AddressInfo } from 'node:net'
import pg from 'pg'
import { describe, expect, it, vi } from 'vitest'
import { encodeCursor } from '../../app/query/profilesCursor.js'
import { sampleAccounts } from '../../app/seed/sampleAccounts.js'
import { seedPostgres } from '../../app/seed/seedPostgres.js'
import { build, sampleDatabase } from '../helpers/fixtures.js'
import { startPostgresServer } from '../helpers/postgresServer.js'
import { exitStatus, listeningUrl, startCompiledServer } from '../helpers/serverProcess.js'

const postgres = await startPostgresServer()
const USERS = 240

async function seededPostgres (total = USERS): Promise<string> {
  const databaseUrl = await postgres.createDatabase()
  await seedPostgres({ databaseUrl, batches: sampleAccounts({ since: 0, total }) })
  return databaseUrl
}

const URLS = [
  '/api/users/profiles',
  '/api/users/profiles?page=3&pagination=50',
  '/api/users/profiles?order_by=-username&page=4&pagination=20',
  '/api/users/profiles?order_by=type&page=2',
  '/api/users/profiles?username=AB&order_by=-type',
  '/api/users/profiles?username=user_&pagination=7&page=2',
  '/api/users/profiles?type=organization&order_by=username',
  // Short terms (kept counts, listed ids) beside an id; a term PostgreSQL's text cannot hold.
  '/api/users/profiles?username=ab&id=815',
  '/api/users/profiles?username=a&id=14&type=User',
  '/api/users/facets?username=ab&id=815',
  '/api/users/profiles?username=a%00b',
  '/api/users/profiles?username=a%09b',
  '/api/v3/users/a%00b',
  // A cursor made by hand (its checksum is no secret) whose key holds a NUL.
  `/api/users/profiles?order_by=username&after=${encodeCursor({ page: 1, pagination: 25, order_by: 'username' }, { id: 5, key: 'a\0b' })}`,
  '/api/users/profiles?page=99',
  '/api/users/profiles?pagination=101',
  '/api/users/profiles/7',
  '/api/users/profiles/987654321',
  '/api/v3/users?since=40&per_page=7',
  '/api/v3/users?since=99999999',
  '/api/v3/users/OMAR-Baker163',
  '/api/v3/users/nobody',
  '/users/2?order_by=-id&pagination=10',
  '/users/1?username=ab&type=User',
  '/users/999'
]

describe('the service on PostgreSQL', async () => {
  const databaseUrl = await seededPostgres()
  const app = await build('/nonexistent/unused.db', { databaseUrl })

  it.each(URLS)('answers %s as it does on the file', async (url) => {
    const onFile = await build(await sampleDatabase(USERS))
    const [fromFile, fromPostgres] = await Promise.all([onFile.inject(url), app.inject(url)])
    expect(fromPostgres.statusCode).toBe(fromFile.statusCode)
    expect(fromPostgres.headers['content-type']).toBe(fromFile.headers['content-type'])
    expect(fromPostgres.headers['x-total-count']).toBe(fromFile.headers['x-total-count'])
    // The same bytes: the results' JSON is the same text, whichever database built it.
    expect(fromPostgres.body).toBe(fromFile.body)
  })

  it('reports PostgreSQL in /health and its count in /metrics', async () => {
    const health = await app.inject('/health')
    expect(health.statusCode).toBe(200)
    expect(health.json()).toMatchObject({ status: 'ok', database: { state: 'ok', users: USERS } })
    const metrics = (await app.inject('/metrics')).body
    expect(metrics).toMatch(new RegExp(`^ghusers_users ${USERS}$`, 'm'))
    expect(metrics).not.toContain('ghusers_database_size_bytes')
  })

  it('serves a seed made from another machine, with new tags, within moments', async () => {
    const databaseUrl = await seededPostgres(60)
    const machines = [await build('/nonexistent/a.db', { databaseUrl }), await build('/nonexistent/b.db', { databaseUrl })]
    const first = await Promise.all(machines.map((machine) => machine.inject('/api/users/profiles?pagination=5')))
    expect(first.map((response) => response.json().total)).toEqual([60, 60])
    // Both machines serve the same data version: the same tag.
    expect(first[0]!.headers.etag).toBe(first[1]!.headers.etag)

    await seedPostgres({ databaseUrl, batches: sampleAccounts({ since: 0, total: 90 }) })
    for (const machine of machines) {
      await vi.waitFor(async () => expect((await machine.inject('/api/users/profiles?pagination=5')).json().total).toBe(90), { timeout: 5_000 })
      const revalidated = await machine.inject({ url: '/api/users/profiles?pagination=5', headers: { 'if-none-match': first[0]!.headers.etag } })
      expect(revalidated.statusCode).toBe(200)
    }
  })

  it.each([1, 2])('runs as the server does, and on SIGTERM exits 0 with its connections closed (WEB_CONCURRENCY=%i)', async (workers) => {
    const databaseUrl = await seededPostgres(20)
    const server = startCompiledServer({ DATABASE_URL: databaseUrl, WEB_CONCURRENCY: String(workers) })
    const url = await listeningUrl(server, workers)
    const response = await fetch(`${url}/api/users/profiles?pagination=2`)
    expect(response.status).toBe(200)
    expect((await response.json() as { total: number }).total).toBe(20)
    server.child.kill('SIGTERM')
    expect(await exitStatus(server)).toBe(0)
    // Its pool and its notifications connection went with it (a backend ends just after its client).
    const client = new pg.Client(databaseUrl)
    await client.connect()
    try {
      await vi.waitFor(async () => {
        const { rows } = await client.query('SELECT count(*)::int AS others FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')
        expect(rows[0].others).toBe(0)
      }, { timeout: 5_000 })
    } finally {
      await client.end()
    }
  })

  it('answers a URL again through Fastify\'s hooks every time, and reads PostgreSQL anew after a seed made elsewhere', async () => {
    const databaseUrl = await seededPostgres(30)
    const machine = await build('/nonexistent/d.db', { databaseUrl, resultCache: { enabled: false, maxEntries: 1, maxBytes: 1 } })
    const fastifySaw: string[] = []
    machine.addHook('onRequest', (request, _reply, done) => {
      fastifySaw.push(request.url)
      done()
    })
    await machine.listen({ port: 0, host: '127.0.0.1' })
    const { port } = machine.server.address() as AddressInfo
    const url = '/api/users/profiles?pagination=3'
    const get = async () => fetch(`http://127.0.0.1:${port}${url}`)
    const built = await (await get()).text()
    const again = await get()
    expect(again.status).toBe(200)
    expect(await again.text()).toBe(built)
    expect(fastifySaw).toEqual([url, url])

    await seedPostgres({ databaseUrl, batches: sampleAccounts({ since: 0, total: 45 }) })
    await vi.waitFor(async () => expect((await (await get()).json() as { total: number }).total).toBe(45), { timeout: 5_000 })
    expect(fastifySaw.every((seen) => seen === url)).toBe(true)
  })

  it('answers 503 while PostgreSQL is down, and recovers when it is back', async () => {
    const databaseUrl = await seededPostgres(30)
    const machine = await build('/nonexistent/c.db', { databaseUrl, resultCache: { enabled: false, maxEntries: 1, maxBytes: 1 } })
    expect((await machine.inject('/api/users/profiles?pagination=3')).statusCode).toBe(200)

    await postgres.stop()
    try {
      const api = await machine.inject('/api/users/profiles?pagination=3')
      expect(api.statusCode).toBe(503)
      expect(api.json()).toMatchObject({ statusCode: 503, error: 'Service Unavailable', message: expect.stringContaining('database') })
      expect((await machine.inject('/users/1')).statusCode).toBe(503)
      expect((await machine.inject('/api/users/profiles/3')).statusCode).toBe(503)
      const health = await machine.inject('/health')
      expect(health.statusCode).toBe(503)
      expect(health.json()).toMatchObject({ status: 'unavailable', database: { state: 'unreachable' } })
    } finally {
      await postgres.start()
    }
    await vi.waitFor(async () => expect((await machine.inject('/api/users/profiles?pagination=3')).statusCode).toBe(200), { timeout: 10_000 })
    expect((await machine.inject('/health')).json()).toMatchObject({ status: 'ok', database: { users: 30 } })
    // And it follows the data version again: a seed after the outage shows.
    await seedPostgres({ databaseUrl, batches: sampleAccounts({ since: 0, total: 45 }) })
    await vi.waitFor(async () => expect((await machine.inject('/api/users/profiles?pagination=3')).json().total).toBe(45), { timeout: 5_000 })
  })
})
