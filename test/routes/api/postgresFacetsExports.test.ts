// The facets and the exports on PostgreSQL: the same answers as on the file, and one snapshot per export.
import { once } from 'node:events'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import pg from 'pg'
import { describe, expect, it, vi } from 'vitest'
import { sampleAccountAt, sampleAccounts } from '../../../app/seed/sampleAccounts.js'
import { seedPostgres } from '../../../app/seed/seedPostgres.js'
import { ordered } from '../../helpers/contractModel.js'
import { build, sampleDatabase } from '../../helpers/fixtures.js'
import { startPostgresServer } from '../../helpers/postgresServer.js'

const postgres = await startPostgresServer()
const USERS = 2300

const URLS = [
  '/api/users/facets',
  '/api/users/facets?type=bot',
  '/api/users/facets?username=AN',
  '/api/users/facets?username=a&type=Organization',
  '/api/users/facets?username=_',
  `/api/users/facets?id=${sampleAccountAt(5).id}`,
  `/api/users/facets?id=${sampleAccountAt(5).id}&username=zzz`,
  '/api/users/facets?page=2',
  '/api/users/profiles.ndjson',
  '/api/users/profiles.ndjson?order_by=-username',
  '/api/users/profiles.ndjson?order_by=-type&username=an',
  '/api/users/profiles.csv?order_by=type&type=Organization',
  '/api/users/profiles.csv?username=%25',
  `/api/users/profiles.csv?id=${sampleAccountAt(7).id}`,
  '/api/users/profiles.csv?pagination=3'
]

describe('facets and exports on PostgreSQL', async () => {
  const databaseUrl = await postgres.createDatabase()
  await seedPostgres({ databaseUrl, batches: sampleAccounts({ since: 0, total: USERS }) })
  const app = await build('/nonexistent/unused.db', { databaseUrl })
  const onFile = await build(await sampleDatabase(USERS))

  it.each(URLS)('answers %s as it does on the file', async (url) => {
    const [fromFile, fromPostgres] = await Promise.all([onFile.inject(url), app.inject(url)])
    expect(fromPostgres.statusCode).toBe(fromFile.statusCode)
    for (const header of ['content-type', 'content-disposition', 'x-total-count']) {
      expect(fromPostgres.headers[header]).toBe(fromFile.headers[header])
    }
    expect(fromPostgres.body).toBe(fromFile.body)
  })

  it('counts exactly after another tool writes users (the kept counts no longer match)', async () => {
    const url = await postgres.createDatabase()
    await seedPostgres({ databaseUrl: url, batches: sampleAccounts({ since: 0, total: 40 }) })
    const machine = await build('/nonexistent/unused.db', { databaseUrl: url })
    const before = (await machine.inject('/api/users/facets')).json()
    const client = new pg.Client(url)
    await client.connect()
    await client.query("INSERT INTO users (id, username, avatar_url, type, url) VALUES (99999999, 'added-bot', 'https://a/1', 'Bot', 'https://github.com/added-bot')")
    await client.end()
    // The commit's notification moves the data version on within moments.
    await vi.waitFor(async () => {
      const after = (await machine.inject('/api/users/facets?type=Bot')).json()
      expect(after).toEqual({ total: before.type.Bot + 1, type: { ...before.type, Bot: before.type.Bot + 1 } })
    }, { timeout: 5_000 })
  })

  it('exports one snapshot while a seed commits', async () => {
    const rows = 30_000
    const url = await postgres.createDatabase()
    await seedPostgres({ databaseUrl: url, batches: sampleAccounts({ since: 0, total: rows }) })
    const server = await build('/nonexistent/unused.db', { databaseUrl: url })
    const baseUrl = await server.listen({ port: 0, host: '127.0.0.1' })
    const before = Array.from({ length: rows }, (_, i) => sampleAccountAt(i))

    const request = httpRequest(`${baseUrl}/api/users/profiles.ndjson?order_by=username`)
    request.end()
    const [response] = await once(request, 'response') as [IncomingMessage]
    response.setEncoding('utf8')
    const [first] = await once(response, 'data') as [string]
    response.pause()
    await seedPostgres({ databaseUrl: url, batches: sampleAccounts({ since: before.at(-1)!.id, total: 300 }) })
    const client = new pg.Client(url)
    await client.connect()
    await client.query('DELETE FROM users WHERE id = $1', [before[15_000]!.id])
    await client.end()

    let body = first
    for await (const chunk of response) body += chunk as string
    const exported = body.split('\n').filter(Boolean).map((line) => JSON.parse(line))
    expect(exported).toEqual(ordered(before, 'username'))
  })
})
