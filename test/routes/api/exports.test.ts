// GET /api/users/profiles.csv and .ndjson on real files: every row in order, parsed back by a real
// CSV parser, one snapshot while a seed commits, and EXPORT_CONCURRENCY over a listening socket.
import { once } from 'node:events'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import BetterSqlite3 from 'better-sqlite3'
import { parse } from 'csv-parse/sync'
import { describe, expect, it, vi } from 'vitest'
import { ORDER_BY_VALUES, type OrderBy, type Profile } from '../../../app/schemas/profiles.js'
import { sampleAccountAt, sampleAccounts } from '../../../app/seed/sampleAccounts.js'
import { seedDatabase } from '../../../app/seed/seedDatabase.js'
import { matching, ordered, type Filters } from '../../helpers/contractModel.js'
import { build, contractOnlyDatabase, HOSTILE_PROFILES, HOSTILE_SEARCHES, sampleDatabase } from '../../helpers/fixtures.js'

const TOTAL = 2500
const SAMPLE: Profile[] = Array.from({ length: TOTAL }, (_, i) => sampleAccountAt(i))
const app = await build(await sampleDatabase(TOTAL))
const hostile = await build(contractOnlyDatabase())

function exportUrl (extension: 'csv' | 'ndjson', filters: Filters & { order_by?: OrderBy }): string {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(filters)) if (value !== undefined) params.set(name, String(value))
  const search = params.toString()
  return `/api/users/profiles.${extension}${search ? `?${search}` : ''}`
}

function parseNdjson (body: string): Profile[] {
  expect(body === '' || body.endsWith('\n')).toBe(true)
  return body.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Profile)
}

/** The CSV as profiles, by a real RFC 4180 parser (which also insists on the header row). */
function parseCsv (body: string): Profile[] {
  const records = parse(body, { columns: true, record_delimiter: '\r\n', relax_quotes: false }) as Array<Record<string, string>>
  return records.map((record) => ({ ...record, id: Number(record.id) }) as Profile)
}

function expectedRows (profiles: Profile[], filters: Filters, orderBy: OrderBy = 'id'): Profile[] {
  return ordered(matching(profiles, filters), orderBy)
}

const SAMPLE_CASES: Array<Filters & { order_by?: OrderBy }> = [
  {},
  ...ORDER_BY_VALUES.map((orderBy) => ({ order_by: orderBy })),
  { type: 'Organization', order_by: '-username' },
  { type: 'Bot' },
  { username: 'an', order_by: 'type' },
  { username: SAMPLE[TOTAL - 3]!.username },
  { username: 'zzzzzz' },
  { id: SAMPLE[40]!.id, order_by: '-id' },
  { id: SAMPLE[40]!.id, type: 'Bot' }
]

describe('GET /api/users/profiles.ndjson', () => {
  it.each(SAMPLE_CASES)('gives every matching row in the order asked for %j, one profile per line', async (filters) => {
    const response = await app.inject(exportUrl('ndjson', filters))
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('application/x-ndjson')
    const expected = expectedRows(SAMPLE, filters, filters.order_by)
    expect(response.headers['x-total-count']).toBe(String(expected.length))
    const rows = parseNdjson(response.body)
    expect(rows.map((row) => row.id)).toEqual(expected.map((row) => row.id))
    expect(rows).toEqual(expected)
  })

  it('carries an ETag and Cache-Control, and answers a matching If-None-Match with a 304', async () => {
    const first = await app.inject('/api/users/profiles.ndjson?type=Bot')
    expect(first.headers['cache-control']).toBe('public, max-age=60')
    const etag = first.headers.etag as string
    expect(etag).toMatch(/^"[\w-]+"$/)
    const again = await app.inject({ url: '/api/users/profiles.ndjson?type=bot', headers: { 'if-none-match': `W/${etag}` } })
    expect(again.statusCode).toBe(304)
    expect(again.body).toBe('')
    const csv = await app.inject({ url: '/api/users/profiles.csv?type=Bot', headers: { 'if-none-match': etag } })
    expect(csv.statusCode).toBe(200)
  })
})

describe('GET /api/users/profiles.csv', () => {
  it('writes the hostile logins so that a real CSV parser reads back exactly the rows', async () => {
    const response = await hostile.inject('/api/users/profiles.csv')
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8; header=present')
    expect(response.headers['content-disposition']).toBe('attachment; filename="ghusers.csv"')
    expect(response.body.startsWith('id,username,avatar_url,type,url\r\n')).toBe(true)
    // Every line ends CRLF: no bare LF anywhere.
    expect(response.body.replaceAll('\r\n', '')).not.toContain('\n')
    expect(parseCsv(response.body)).toEqual(HOSTILE_PROFILES)
  })

  it.each(HOSTILE_SEARCHES)('exports the hostile logins containing %j in every order', async (term) => {
    for (const orderBy of ['username', '-type'] as const) {
      const response = await hostile.inject(exportUrl('csv', { username: term, order_by: orderBy }))
      expect(parseCsv(response.body)).toEqual(expectedRows(HOSTILE_PROFILES, { username: term }, orderBy))
      expect(response.headers['content-disposition']).toMatch(/^attachment; filename="ghusers-username-[a-z0-9-]+-order-[a-z]+(-desc)?\.csv"$/)
    }
  })

  it.each(SAMPLE_CASES.slice(0, 8))('equals the NDJSON export row for row for %j', async (filters) => {
    const [csv, ndjson] = await Promise.all([app.inject(exportUrl('csv', filters)), app.inject(exportUrl('ndjson', filters))])
    expect([csv.statusCode, ndjson.statusCode]).toEqual([200, 200])
    expect(parseCsv(csv.body)).toEqual(parseNdjson(ndjson.body))
    expect(csv.headers['x-total-count']).toBe(ndjson.headers['x-total-count'])
  })

  it('writes a field a spreadsheet would take for a formula with a leading quote', async () => {
    const formulas = ['=HYPERLINK("x")', '+1', '-2', '@SUM(A1)', '\tTab', '\rCR', 'plain']
    const profiles = formulas.map((username, index) => ({
      id: index + 1, username, avatar_url: `=avatar${index}`, type: 'User', url: `https://github.com/u${index}`
    }))
    const onFile = await build(contractOnlyDatabase(profiles))
    const rows = parseCsv((await onFile.inject('/api/users/profiles.csv')).body)
    expect(rows.map((row) => row.username)).toEqual(formulas.map((name) => name === 'plain' ? name : `'${name}`))
    expect(rows.every((row) => row.avatar_url.startsWith("'="))).toBe(true)
    // NDJSON is data, not a sheet: values as they are.
    expect(parseNdjson((await onFile.inject('/api/users/profiles.ndjson')).body)).toEqual(profiles)
  })

  it('names the filters in the file name, safely for any term', async () => {
    const cases: Array<[string, string]> = [
      ['type=organization&username=AN', 'ghusers-type-organization-username-an.csv'],
      ['username=%3Cscript%3E%22%2F..%5C', 'ghusers-username-script.csv'],
      ['username=%25', 'ghusers-username-x25.csv'],
      ['username=Zo%C3%AB&order_by=-username', 'ghusers-username-zo-order-username-desc.csv'],
      [`id=${SAMPLE[3]!.id}&order_by=type`, `ghusers-id-${SAMPLE[3]!.id}-order-type.csv`]
    ]
    for (const [query, fileName] of cases) {
      const response = await app.inject(`/api/users/profiles.csv?${query}`)
      expect(response.headers['content-disposition']).toBe(`attachment; filename="${fileName}"`)
    }
  })
})

describe('the exports\' rules', () => {
  it.each([
    ['page=1', 'page'],
    ['pagination=10', 'pagination'],
    ['after=abc', 'after'],
    ['format=json', 'format'],
    ['order_by=name', 'order_by'],
    ['order_by=id&order_by=-id', 'order_by'],
    ['type=Team', 'type'],
    ['id=-1', 'id'],
    ['username=', 'username']
  ])('answers ?%s with a 400 naming %s, for both formats', async (query, parameter) => {
    for (const extension of ['csv', 'ndjson']) {
      const response = await app.inject(`/api/users/profiles.${extension}?${query}`)
      expect(response.statusCode).toBe(400)
      expect(response.json()).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.stringContaining(`'${parameter}'`) })
    }
  })

  it('are in the OpenAPI document with their media types', async () => {
    const document = (await app.inject('/openapi.json')).json()
    expect(Object.keys(document.paths['/api/users/profiles.csv'].get.responses['200'].content)).toEqual(['text/csv; charset=utf-8; header=present'])
    expect(Object.keys(document.paths['/api/users/profiles.ndjson'].get.responses['200'].content)).toEqual(['application/x-ndjson'])
    expect(document.paths['/api/users/profiles.ndjson'].get.responses['503']).toBeDefined()
  })
})

/** Starts a GET on the listening server and waits for its status and headers; the body is left unread. */
async function startGet (baseUrl: string, path: string): Promise<IncomingMessage> {
  const request = httpRequest(`${baseUrl}${path}`)
  request.end()
  const [response] = await once(request, 'response') as [IncomingMessage]
  response.pause()
  return response
}

async function readAll (response: IncomingMessage): Promise<string> {
  response.setEncoding('utf8')
  let body = ''
  for await (const chunk of response) body += chunk as string
  return body
}

describe('exports over a listening socket', async () => {
  // Far more than the socket buffers hold, so that an export whose reader pauses is still reading its snapshot.
  const ROWS = 60_000
  const databasePath = await sampleDatabase(ROWS)
  const server = await build(databasePath, { exportConcurrency: 2 })
  const baseUrl = await server.listen({ port: 0, host: '127.0.0.1' })

  it('runs EXPORT_CONCURRENCY at once and answers one more with a 503 and Retry-After, while pages are served', async () => {
    const slow = [await startGet(baseUrl, '/api/users/profiles.ndjson'), await startGet(baseUrl, '/api/users/profiles.csv')]
    expect(slow.map((response) => response.statusCode)).toEqual([200, 200])
    const turnedAway = await startGet(baseUrl, '/api/users/profiles.csv?type=Bot')
    expect(turnedAway.statusCode).toBe(503)
    expect(Number(turnedAway.headers['retry-after'])).toBeGreaterThan(0)
    expect(turnedAway.headers['cache-control']).toBe('no-store')
    expect(JSON.parse(await readAll(turnedAway))).toMatchObject({ statusCode: 503, error: 'Service Unavailable' })
    // The slow readers slow only their own exports.
    const page = await fetch(`${baseUrl}/api/users/profiles?page=3`)
    expect(page.status).toBe(200)

    // A reader that goes away frees its place; one that reads to the end gets every row.
    slow[1]!.destroy()
    await vi.waitFor(async () => expect((await fetch(`${baseUrl}/api/users/facets`)).status).toBe(200))
    await vi.waitFor(async () => {
      const response = await startGet(baseUrl, '/api/users/profiles.csv?type=Bot')
      const body = await readAll(response)
      expect(response.statusCode).toBe(200)
      expect(parseCsv(body)).toEqual(Array.from({ length: ROWS }, (_, i) => sampleAccountAt(i)).filter((p) => p.type === 'Bot'))
    })
    const rows = parseNdjson(await readAll(slow[0]!))
    expect(rows.length).toBe(ROWS)
  })

  it('frees its place after a HEAD request', async () => {
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${baseUrl}/api/users/profiles.csv`, { method: 'HEAD' })
      expect(response.status).toBe(200)
      expect(response.headers.get('x-total-count')).toBe(String(ROWS))
    }
  })

  it('is one snapshot: a seed and another tool\'s writes that commit meanwhile do not show', async () => {
    const before = Array.from({ length: ROWS }, (_, i) => sampleAccountAt(i))
    const response = await startGet(baseUrl, '/api/users/profiles.ndjson?order_by=-username')
    expect(response.headers['x-total-count']).toBe(String(ROWS))
    // The first chunk is on its way: the export's snapshot is taken.
    response.setEncoding('utf8')
    response.resume()
    const [first] = await once(response, 'data') as [string]
    response.pause()
    let body = first
    await seedDatabase({ databasePath, batches: sampleAccounts({ since: before.at(-1)!.id, total: 500 }) })
    const writer = new BetterSqlite3(databasePath)
    writer.prepare('UPDATE users SET username = ? WHERE id = ?').run('aaaa-renamed', before[10]!.id)
    writer.prepare('DELETE FROM users WHERE id = ?').run(before[20_000]!.id)
    writer.close()
    expect((await fetch(`${baseUrl}/api/users/facets`).then((r) => r.json())).total).toBe(ROWS + 499)

    body += await readAll(response)
    expect(parseNdjson(body)).toEqual(ordered(before, '-username'))
  })
})
