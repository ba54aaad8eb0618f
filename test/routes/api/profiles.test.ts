// GET /api/users/profiles and /api/users/profiles/:id against the contract, on real files.
import type { FastifyInstance } from 'fastify'
import { describe, expect, it } from 'vitest'
import { ORDER_BY_VALUES, type Profile } from '../../../app/schemas/profiles.js'
import { sampleAccountAt } from '../../../app/seed/sampleAccounts.js'
import { expectedPage, type Filters } from '../../helpers/contractModel.js'
import { build, contractOnlyDatabase, sampleDatabase } from '../../helpers/fixtures.js'

const TOTAL = 300
const SAMPLE: Profile[] = Array.from({ length: TOTAL }, (_, i) => sampleAccountAt(i))
const app = await build(await sampleDatabase(TOTAL))
const hostile = await build(contractOnlyDatabase())

interface Envelope {
  page: number,
  pagination: number,
  total: number,
  pages: number,
  order_by: string
  results: Profile[]
  links: Record<'first' | 'prev' | 'next' | 'last', string | null>
  next_cursor?: string | null
}

async function get (url: string, on: FastifyInstance = app, headers: Record<string, string> = {}) {
  return on.inject({ method: 'GET', url, headers })
}

async function page (url: string, on: FastifyInstance = app): Promise<Envelope> {
  const response = await get(url, on)
  expect(response.statusCode, url).toBe(200)
  expect(response.headers['content-type']).toContain('application/json')
  return response.json<Envelope>()
}

/** The RFC 8288 header as {rel: target}. */
function parseLinkHeader (header: string | undefined): Record<string, string> {
  const links: Record<string, string> = {}
  for (const part of (header ?? '').split(/,\s*(?=<)/)) {
    const match = /^<([^>]*)>;\s*rel="([^"]+)"$/.exec(part.trim())
    if (match) links[match[2]!] = match[1]!
  }
  return links
}

async function expectBadRequest (url: string, parameter: string, on: FastifyInstance = app) {
  const response = await get(url, on)
  expect(response.statusCode, url).toBe(400)
  expect(response.json()).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.stringContaining(`'${parameter}'`) })
}

describe('GET /api/users/profiles', () => {
  it('answers page 1 of 25 by id with the whole envelope by default', async () => {
    const body = await page('/api/users/profiles')
    const expected = expectedPage(SAMPLE, {}, 'id', 1, 25)
    expect(body).toMatchObject({ page: 1, pagination: 25, total: TOTAL, pages: expected.pages, order_by: 'id' })
    expect(body.results.map((p) => p.id)).toEqual(expected.ids)
    expect(body.results[0]).toEqual(SAMPLE[0])
    expect(Object.keys(body.results[0]!).sort()).toEqual(['avatar_url', 'id', 'type', 'url', 'username'])
    expect(body.links).toEqual({
      first: '/api/users/profiles?page=1&pagination=25',
      prev: null,
      next: '/api/users/profiles?page=2&pagination=25',
      last: `/api/users/profiles?page=${expected.pages}&pagination=25`
    })
  })

  it('puts the links in a Link header and the total in X-Total-Count, never from the Host header', async () => {
    const response = await get('/api/users/profiles?page=3&pagination=10&order_by=-username&type=User', app, { host: 'evil.example' })
    const body = response.json<Envelope>()
    expect(response.headers['x-total-count']).toBe(String(body.total))
    const header = parseLinkHeader(response.headers.link as string)
    expect(header).toEqual(Object.fromEntries(Object.entries(body.links).filter(([, href]) => href !== null)))
    for (const href of Object.values(body.links)) {
      expect(href).toMatch(/^\/api\/users\/profiles\?page=\d+&pagination=10&order_by=-username&type=User$/)
      expect(href).not.toContain('evil')
    }
    expect(body.links.prev).toContain('page=2&')
    expect(body.links.next).toContain('page=4&')
  })

  it.each(ORDER_BY_VALUES)('orders by %s, ties by id ascending, at every page', async (orderBy) => {
    const expected = expectedPage(SAMPLE, {}, orderBy, 1, 7)
    for (const number of [1, 2, Math.ceil(expected.pages / 2), expected.pages]) {
      const body = await page(`/api/users/profiles?order_by=${orderBy}&pagination=7&page=${number}`)
      expect(body.results.map((p) => p.id)).toEqual(expectedPage(SAMPLE, {}, orderBy, number, 7).ids)
    }
  })

  it.each<[string, Filters]>([
    ['username=ALI', { username: 'ali' }],
    ['type=organization', { type: 'Organization' }],
    ['type=BOT', { type: 'Bot' }],
    ['username=an&type=User', { username: 'an', type: 'User' }],
    [`id=${SAMPLE[42]!.id}`, { id: SAMPLE[42]!.id }],
    [`id=${SAMPLE[42]!.id}&type=Bot`, { id: SAMPLE[42]!.id, type: 'Bot' }],
    // Short terms (whose counts are kept, or ids listed) beside an id.
    [`username=${SAMPLE[42]!.username.slice(1, 3)}&id=${SAMPLE[42]!.id}`, { username: SAMPLE[42]!.username.slice(1, 3), id: SAMPLE[42]!.id }],
    [`username=a&id=${SAMPLE[42]!.id}&type=User`, { username: 'a', id: SAMPLE[42]!.id, type: 'User' }],
    [`username=zq&id=${SAMPLE[43]!.id}`, { username: 'zq', id: SAMPLE[43]!.id }]
  ])('filters with %s (AND, case-insensitive)', async (search, filters) => {
    const body = await page(`/api/users/profiles?${search}&pagination=100`)
    const expected = expectedPage(SAMPLE, filters, 'id', 1, 100)
    expect(body.total).toBe(expected.total)
    expect(body.results.map((p) => p.id)).toEqual(expected.ids)
  })

  it.each([
    ['100%', ['100%']], ['_', ['under_score']], ['\\', ['back\\slash']], ['alpha', ['ALPHA', 'alpha-two']]
  ])('matches %j literally', async (term, usernames) => {
    const body = await page(`/api/users/profiles?username=${encodeURIComponent(term)}`, hostile)
    expect(body.results.map((p) => p.username).sort()).toEqual([...usernames].sort())
  })

  it('answers no match with total 0, no links and no Link header, at any page', async () => {
    for (const url of ['/api/users/profiles?username=nobody-has-this', '/api/users/profiles?username=nobody-has-this&page=9']) {
      const response = await get(url)
      expect(response.statusCode).toBe(200)
      expect(response.json()).toMatchObject({ total: 0, pages: 0, results: [], links: { first: null, prev: null, next: null, last: null } })
      expect(response.headers.link).toBeUndefined()
      expect(response.headers['x-total-count']).toBe('0')
    }
  })

  it('answers a page past the last with a JSON 404', async () => {
    const pages = Math.ceil(TOTAL / 25)
    expect((await get(`/api/users/profiles?page=${pages}`)).statusCode).toBe(200)
    const response = await get(`/api/users/profiles?page=${pages + 1}`)
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual({ statusCode: 404, error: 'Not Found', message: expect.stringContaining(String(pages)) })
  })

  it.each([
    ['page=0', 'page'], ['page=-1', 'page'], ['page=1.5', 'page'], ['page=abc', 'page'], ['page=1e2', 'page'],
    ['page=0x10', 'page'], ['page=%201', 'page'], ['page=99999999999999999999', 'page'], ['page=', 'page'],
    ['pagination=0', 'pagination'], ['pagination=101', 'pagination'], ['order_by=name', 'order_by'],
    ['order_by=--id', 'order_by'], ['username=', 'username'], [`username=${'a'.repeat(40)}`, 'username'],
    ['id=0', 'id'], ['id=9007199254740992', 'id'], ['type=robot', 'type'], ['foo=1', 'foo'],
    ['page=1&page=2', 'page'], ['username=a&username=b', 'username'], ['page[]=1', 'page[]'],
    ['username=a%00b', 'username'], ['username=%00', 'username']
  ])('rejects %s with a 400 naming %s', async (search, parameter) => {
    await expectBadRequest(`/api/users/profiles?${search}`, parameter)
  })

  it('accepts the edges of every range', async () => {
    expect((await page('/api/users/profiles?pagination=100')).results).toHaveLength(100)
    expect((await page('/api/users/profiles?pagination=1')).pages).toBe(TOTAL)
    expect((await page(`/api/users/profiles?username=${'a'.repeat(39)}`, hostile)).total).toBe(1)
    expect((await page('/api/users/profiles?id=9007199254740991')).total).toBe(0)
  })
})

describe('GET /api/users/profiles/:id', () => {
  it('answers one profile, or a JSON 404', async () => {
    const response = await get(`/api/users/profiles/${SAMPLE[7]!.id}`)
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual(SAMPLE[7])
    const missing = await get(`/api/users/profiles/${SAMPLE[7]!.id + 1}`)
    expect(missing.statusCode).toBe(404)
    expect(missing.json()).toMatchObject({ statusCode: 404, error: 'Not Found' })
  })

  it('takes no query parameters: each is a 400 naming it, as on the list', async () => {
    for (const query of ['x=1', 'page=2', 'id=5&id=6']) {
      const response = await get(`/api/users/profiles/${SAMPLE[7]!.id}?${query}`)
      expect(response.statusCode, query).toBe(400)
      expect(response.json().message, query).toContain(`'${query.split('=')[0]}'`)
    }
  })

  it.each(['abc', '0', '-5', '1.5', '1e3', '9007199254740992', '%ff'])('answers /%s with a JSON 400', async (id) => {
    const response = await get(`/api/users/profiles/${id}`)
    expect(response.statusCode).toBe(400)
    expect(Object.keys(response.json()).sort()).toEqual(['error', 'message', 'statusCode'])
  })
})

describe('hostile requests', () => {
  it.each([
    '/api/users/profiles?%ZZ=1', '/api/users/profiles?page=%00', '/api/users/profiles?__proto__=1',
    '/api/users/profiles?constructor=1', '/api/users/profiles?page[a]=1', `/api/users/profiles?username=${'%25'.repeat(500)}`,
    '/api/users/profiles?username=%F0%9F%98%80%F0%9F%98%80%F0%9F%98%80', '/api/users/profiles/', '/api/users/profiles/1/',
    `/api/users/profiles/${'9'.repeat(400)}`, '/api/%ff', '/api/users/profiles?username=%22%22%22', '/api/users/profiles?username=a%22%20OR%20b'
  ])('never answer %s with a 5xx', async (url) => {
    for (const method of ['GET', 'HEAD'] as const) {
      const response = await app.inject({ method, url, headers: { 'if-none-match': 'W/"x", *garbage' } })
      expect(response.statusCode, `${method} ${url}`).toBeLessThan(500)
    }
  })
})

describe('walking the list by after', () => {
  it('keeps a search\'s cursors within 200 characters when their row\'s login is long, and walks by them', async () => {
    // 30 emoji and a tail: 123 UTF-8 bytes of key, which with a rank would pass 200 characters.
    const profiles: Profile[] = Array.from({ length: 5 }, (_, n) => ({
      id: n + 1, username: `${'\u{1F600}'.repeat(30)}zq${n}`, avatar_url: `https://avatars.githubusercontent.com/u/${n + 1}?v=4`, type: 'User', url: `https://github.com/u${n}`
    }))
    const long = await build(contractOnlyDatabase(profiles))
    let body = await page('/api/users/profiles?username=zq&order_by=username&pagination=1', long)
    const ids = body.results.map((row) => row.id)
    while (body.next_cursor) {
      expect(body.next_cursor).toMatch(/^[A-Za-z0-9_-]{1,200}$/)
      body = await page(`/api/users/profiles?username=zq&order_by=username&pagination=1&after=${body.next_cursor}`, long)
      ids.push(...body.results.map((row) => row.id))
    }
    expect(ids).toEqual([1, 2, 3, 4, 5])
  })

  it.each(ORDER_BY_VALUES)('gives every row once, in order %s, with and without filters, by following links.next', async (orderBy) => {
    for (const filters of [{}, { type: 'Organization' }, { username: 'an' }, { username: 'e', type: 'User' }] as Filters[]) {
      const params = new URLSearchParams({ pagination: '13', order_by: orderBy, ...filters as Record<string, string> })
      const first = await page(`/api/users/profiles?${params.toString()}`)
      const ids = first.results.map((p) => p.id)
      let body = first as Envelope & { next_cursor: string | null }
      while (body.next_cursor !== null) {
        expect(body.next_cursor).toMatch(/^[A-Za-z0-9_-]{1,200}$/)
        // From page 1 by its cursor; from a cursor's answer by its links.next.
        const url = body.page === null ? body.links.next! : `/api/users/profiles?after=${body.next_cursor}&${params.toString()}`
        const next = await page(url) as Envelope & { next_cursor: string | null }
        expect(next).toMatchObject({ page: null, total: first.total, pages: first.pages })
        expect(next.links.prev).toBeNull()
        expect(next.links.first).toBe(first.links.first)
        expect(next.links.last).toBe(first.links.last)
        expect(next.links.next === null).toBe(next.next_cursor === null)
        ids.push(...next.results.map((p) => p.id))
        body = next
      }
      const expected = expectedPage(SAMPLE, filters, orderBy, 1, TOTAL)
      expect(ids, JSON.stringify(filters)).toEqual(expected.ids)
    }
  })

  it('carries next_cursor on every page, null on the last and when nothing matches', async () => {
    expect((await page('/api/users/profiles?page=12&pagination=25')).next_cursor).toBeNull()
    expect((await page('/api/users/profiles?page=11&pagination=25')).next_cursor).toEqual(expect.any(String))
    expect((await page('/api/users/profiles?username=no-such-login')).next_cursor).toBeNull()
  })

  it('refuses after with page, altered, foreign or for another list, each a 400 naming after', async () => {
    const { next_cursor: cursor } = await page('/api/users/profiles?order_by=username&type=User') as Envelope & { next_cursor: string }
    const other = (await page('/api/users/profiles?order_by=-username&type=User') as Envelope & { next_cursor: string }).next_cursor
    const altered = `${cursor.slice(0, -2)}${cursor.endsWith('A') ? 'B' : 'A'}${cursor.slice(-1)}`
    await expectBadRequest(`/api/users/profiles?order_by=username&type=User&page=1&after=${cursor}`, 'after')
    await expectBadRequest(`/api/users/profiles?order_by=username&type=User&after=${altered}`, 'after')
    await expectBadRequest(`/api/users/profiles?order_by=username&type=User&after=${other}`, 'after')
    await expectBadRequest(`/api/users/profiles?order_by=username&type=Bot&after=${cursor}`, 'after')
    await expectBadRequest(`/api/users/profiles?order_by=username&after=${cursor}`, 'after')
    await expectBadRequest(`/api/users/profiles?order_by=-id&type=User&after=${cursor}`, 'after')
    for (const junk of ['x', 'AAAA', '%2F%2F', 'a'.repeat(201), '!!', '']) {
      await expectBadRequest(`/api/users/profiles?after=${junk}`, 'after')
    }
    const ok = await get(`/api/users/profiles?order_by=username&type=User&after=${cursor}`)
    expect(ok.statusCode).toBe(200)
  })
})
