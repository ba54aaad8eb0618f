// GET /api/users/facets against the contract's model, on real files: exact counts, every filter, the rules.
import BetterSqlite3 from 'better-sqlite3'
import { describe, expect, it, vi } from 'vitest'
import { PROFILE_TYPES, type Profile } from '../../../app/schemas/profiles.js'
import { sampleAccountAt } from '../../../app/seed/sampleAccounts.js'
import { matching, type Filters } from '../../helpers/contractModel.js'
import { build, contractOnlyDatabase, HOSTILE_PROFILES, HOSTILE_SEARCHES, sampleDatabase } from '../../helpers/fixtures.js'

const TOTAL = 300
const SAMPLE: Profile[] = Array.from({ length: TOTAL }, (_, i) => sampleAccountAt(i))

/** The facets the contract promises for `filters` over `profiles`, computed without the app's SQL. */
function expectedFacets (profiles: Profile[], filters: Filters) {
  const others = matching(profiles, { ...filters, type: undefined })
  return {
    total: matching(profiles, filters).length,
    type: Object.fromEntries(PROFILE_TYPES.map((type) => [type, others.filter((profile) => profile.type === type).length]))
  }
}

function facetsUrl (filters: Filters): string {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(filters)) if (value !== undefined) params.set(name, String(value))
  const search = params.toString()
  return search ? `/api/users/facets?${search}` : '/api/users/facets'
}

const SAMPLE_FILTERS: Filters[] = [
  {},
  { type: 'User' },
  { type: 'Organization' },
  { type: 'Bot' },
  { username: 'a' },
  { username: 'AN' },
  { username: 'an', type: 'Organization' },
  { username: 'e', type: 'Bot' },
  { username: 'zzzzzz' },
  { id: SAMPLE[17]!.id },
  { id: SAMPLE[17]!.id, type: SAMPLE[17]!.type === 'User' ? 'Organization' : 'User' },
  { id: SAMPLE[17]!.id, username: SAMPLE[17]!.username.slice(1, 3) },
  { id: SAMPLE[17]!.id, username: 'not-in-it' },
  { id: 1 }
]

describe('GET /api/users/facets', async () => {
  const app = await build(await sampleDatabase(TOTAL))
  const hostile = await build(contractOnlyDatabase())

  it.each(SAMPLE_FILTERS)('counts exactly what the contract says for %j', async (filters) => {
    const response = await app.inject(facetsUrl(filters))
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(response.headers['cache-control']).toBe('public, max-age=60')
    expect(response.headers.etag).toMatch(/^"[\w-]+"$/)
    expect(response.json()).toEqual(expectedFacets(SAMPLE, filters))
  })

  it('always lists the three types, 0 included, and type filters any case', async () => {
    const body = (await app.inject('/api/users/facets?type=bOt&username=zzzzzz')).json()
    expect(body).toEqual({ total: 0, type: { User: 0, Organization: 0, Bot: 0 } })
    const counts = (await app.inject('/api/users/facets?type=organization')).json()
    expect(counts.total).toBe(SAMPLE.filter((profile) => profile.type === 'Organization').length)
    expect(counts.type.User + counts.type.Organization + counts.type.Bot).toBe(TOTAL)
  })

  it.each(HOSTILE_SEARCHES)('counts the hostile logins containing %j literally', async (term) => {
    for (const type of [undefined, 'User']) {
      const response = await hostile.inject(facetsUrl({ username: term, type }))
      expect(response.json()).toEqual(expectedFacets(HOSTILE_PROFILES, { username: term, type }))
    }
  })

  it.each([
    ['page=1', 'page'],
    ['pagination=10', 'pagination'],
    ['order_by=id', 'order_by'],
    ['after=abc', 'after'],
    ['utm_source=x', 'utm_source'],
    ['type=Team', 'type'],
    ['type=User&type=Bot', 'type'],
    ['id=0', 'id'],
    ['id=1e3', 'id'],
    ['id=9007199254740992', 'id'],
    ['username=', 'username'],
    [`username=${'a'.repeat(40)}`, 'username']
  ])('answers ?%s with a 400 naming %s', async (query, parameter) => {
    const response = await app.inject(`/api/users/facets?${query}`)
    expect(response.statusCode).toBe(400)
    expect(response.headers['cache-control']).toBe('no-store')
    expect(response.json()).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.stringContaining(`'${parameter}'`) })
  })

  it('answers a matching If-None-Match with a 304, per filter and data version', async () => {
    const first = await app.inject('/api/users/facets?username=an')
    const again = await app.inject({ url: '/api/users/facets?username=an', headers: { 'if-none-match': first.headers.etag as string } })
    expect(again.statusCode).toBe(304)
    expect(again.body).toBe('')
    expect(again.headers['cache-control']).toBe('public, max-age=60')
    const other = await app.inject({ url: '/api/users/facets?username=am', headers: { 'if-none-match': first.headers.etag as string } })
    expect(other.statusCode).toBe(200)
  })

  it('stays exact after another tool writes the file (the kept counts no longer match)', async () => {
    const path = await sampleDatabase(50)
    const onFile = await build(path)
    const before = (await onFile.inject('/api/users/facets')).json()
    const writer = new BetterSqlite3(path)
    writer.prepare('INSERT INTO users (id, username, avatar_url, type, url) VALUES (?, ?, ?, ?, ?)')
      .run(99_999_999, 'added-bot', 'https://avatars.githubusercontent.com/u/1', 'Bot', 'https://github.com/added-bot')
    writer.close()
    // The data version read from the file is trusted for 100 ms: the write shows within that.
    await vi.waitFor(async () => {
      const after = (await onFile.inject('/api/users/facets?type=Bot')).json()
      expect(after.type).toEqual({ ...before.type, Bot: before.type.Bot + 1 })
      expect(after.total).toBe(before.type.Bot + 1)
    })
    expect((await onFile.inject('/api/users/facets?username=added')).json()).toEqual({ total: 1, type: { User: 0, Organization: 0, Bot: 1 } })
  })

  it('is in the OpenAPI document', async () => {
    const document = (await app.inject('/openapi.json')).json()
    const operation = document.paths['/api/users/facets'].get
    expect(operation.operationId).toBe('profileFacets')
    expect(operation.parameters.map((parameter: { name: string }) => parameter.name).sort()).toEqual(['id', 'type', 'username'])
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['200', '304', '400']))
  })
})
