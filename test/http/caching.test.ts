// HTTP caching and the result cache: tags per URL and data version, 304s, invalidation by any write.
import { setTimeout as sleep } from 'node:timers/promises'
import BetterSqlite3 from 'better-sqlite3'
import type { FastifyInstance } from 'fastify'
import { describe, expect, it } from 'vitest'
import { NOT_STORED } from '../../app/http/edgeAnswers.js'
import { sampleAccountAt, sampleAccounts } from '../../app/seed/sampleAccounts.js'
import { seedDatabase } from '../../app/seed/seedDatabase.js'
import { DATA_VERSION_RECHECK_MS } from '../../app/store/profilesCatalog.js'
import { build, sampleDatabase } from '../helpers/fixtures.js'

const SUCCESSFUL_GETS = [
  '/api/users/profiles', '/api/users/profiles?page=2&pagination=10&type=User',
  `/api/users/profiles/${sampleAccountAt(3).id}`, '/', '/users', '/users/2?order_by=-id'
]

async function etagOf (app: FastifyInstance, url: string): Promise<string> {
  const response = await app.inject(url)
  expect(response.statusCode, url).toBe(200)
  return response.headers.etag as string
}

/** A write shows once the data version it made is read: at most DATA_VERSION_RECHECK_MS after it. */
const untilWritesShow = () => sleep(DATA_VERSION_RECHECK_MS + 5)

function conditional (app: FastifyInstance, url: string, ifNoneMatch: string) {
  return app.inject({ method: 'GET', url, headers: { 'if-none-match': ifNoneMatch } })
}

describe('ETag and Cache-Control', async () => {
  const app = await build(await sampleDatabase(100))

  it.each(SUCCESSFUL_GETS)('GET %s carries a strong ETag and a public max-age', async (url) => {
    const response = await app.inject(url)
    expect(response.statusCode).toBe(200)
    expect(response.headers.etag).toMatch(/^"[\w-]+"$/)
    expect(response.headers['cache-control']).toBe('public, max-age=60')
  })

  it('with CACHE_MAX_AGE=0 asks caches to revalidate every answer, its 304 alike', async () => {
    const uncached = await build(await sampleDatabase(20), { httpCacheMaxAge: 0 })
    for (const url of SUCCESSFUL_GETS.slice(0, 2).concat('/users')) {
      const response = await uncached.inject(url)
      expect(response.headers['cache-control'], url).toBe('no-cache')
      const again = await conditional(uncached, url, response.headers.etag as string)
      expect([again.statusCode, again.headers['cache-control']], url).toEqual([304, 'no-cache'])
    }
  })

  it.each(['/api/users/profiles?page=0', '/api/users/profiles?page=99', '/users/99', '/users?type=robot', '/nope', '/api/nope'])(
    'errors (%s) are not stored and carry no ETag', async (url) => {
      const response = await app.inject(url)
      expect(response.statusCode).toBeGreaterThanOrEqual(400)
      expect(response.headers['cache-control']).toBe('no-store')
      expect(response.headers.etag).toBeUndefined()
    })

  it.each([
    ['/static/css/app.css', 'public, max-age=3600'],
    ['/static/bootstrap/css/bootstrap.min.css', 'public, max-age=86400']
  ])('static file %s keeps its own max-age, not the default no-store', async (url, cacheControl) => {
    const response = await app.inject(url)
    expect(response.statusCode).toBe(200)
    expect(response.headers['cache-control']).toBe(cacheControl)
  })

  it.each(['/health', '/ping', '/openapi.json', '/metrics'])('operational answer %s is never stored', async (url) => {
    const response = await app.inject(url)
    expect(response.statusCode).toBe(200)
    expect(response.headers['cache-control']).toBe(NOT_STORED)
  })

  it.each(SUCCESSFUL_GETS)('GET %s answers 304 to its own tag, weak, in a list or *', async (url) => {
    const tag = await etagOf(app, url)
    for (const header of [tag, `W/${tag}`, `"other", ${tag}`, '*']) {
      const response = await conditional(app, url, header)
      expect(response.statusCode, header).toBe(304)
      expect(response.body).toBe('')
      expect(response.headers.etag).toBe(tag)
      expect(response.headers['cache-control']).toBe('public, max-age=60')
    }
  })

  it.each([
    '/api/users/profiles?page=99', `/api/users/profiles/${sampleAccountAt(99).id + 1}`, '/users/99', '/users?page=99&type=user'
  ])('answers If-None-Match: * for %s, which does not exist, with its 404', async (url) => {
    const plain = await app.inject(url)
    expect(plain.statusCode).toBe(404)
    for (let i = 0; i < 2; i++) {
      const response = await conditional(app, url, '*')
      expect(response.statusCode).toBe(404)
      expect(response.body).toBe(plain.body)
      expect(response.headers.etag).toBeUndefined()
    }
  })

  it('never answers 304 to a tag issued for another URL', async () => {
    // '/' and '/users' are one page; every other URL is its own representation.
    const urls = SUCCESSFUL_GETS.filter((url) => url !== '/')
    const tags = await Promise.all(urls.map((url) => etagOf(app, url)))
    expect(new Set(tags).size).toBe(urls.length)
    for (const [i, url] of urls.entries()) {
      for (const tag of tags.filter((_, j) => j !== i)) {
        expect((await conditional(app, url, tag)).statusCode, `${url} with ${tag}`).toBe(200)
      }
    }
  })

  it('gives one tag to one query however it is spelled', async () => {
    const canonical = await etagOf(app, '/api/users/profiles?page=1&pagination=25&order_by=id&type=User')
    expect(await etagOf(app, '/api/users/profiles?type=user')).toBe(canonical)
    expect(await etagOf(app, '/api/users/profiles?order_by=ID&type=USER&pagination=25')).toBe(canonical)
    expect(await etagOf(app, '/users')).toBe(await etagOf(app, '/users/1?utm_source=mail'))
  })
})

describe.each([true, false])('a write to the file (result cache %s), once its version is read', (enabled) => {
  it('changes every tag and every answer, whether the seed or another tool wrote it', async () => {
    const path = await sampleDatabase(40)
    const app = await build(path, { resultCache: { enabled, maxEntries: 50, maxBytes: 1 << 20 } })
    const url = '/api/users/profiles?pagination=100'
    const before = await app.inject(url)
    expect(before.json().total).toBe(40)

    await seedDatabase({ databasePath: path, batches: sampleAccounts({ since: 0, total: 60 }) })
    await untilWritesShow()
    const afterSeed = await conditional(app, url, before.headers.etag as string)
    expect(afterSeed.statusCode).toBe(200)
    expect(afterSeed.json().total).toBe(60)

    const writer = new BetterSqlite3(path)
    writer.prepare('UPDATE users SET username = ? WHERE id = ?').run('renamed-by-hand', sampleAccountAt(0).id)
    writer.close()
    await untilWritesShow()
    const afterTool = await conditional(app, url, afterSeed.headers.etag as string)
    expect(afterTool.statusCode).toBe(200)
    expect(afterTool.json().results[0].username).toBe('renamed-by-hand')
    expect((await app.inject(`/api/users/profiles/${sampleAccountAt(0).id}`)).json().username).toBe('renamed-by-hand')
    const html = (await app.inject('/users')).body
    expect(html).toContain('renamed-by-hand')
  })
})

describe('the result cache', () => {
  it('holds at most its configured number of results', async () => {
    const app = await build(await sampleDatabase(100), { resultCache: { enabled: true, maxEntries: 3, maxBytes: 1 << 20 } })
    for (let page = 1; page <= 10; page++) await app.inject(`/api/users/profiles?pagination=10&page=${page}`)
    expect(app.answerStore.stats.entries).toBe(3)
  })

  it('holds at most its configured number of bytes', async () => {
    const app = await build(await sampleDatabase(100), { resultCache: { enabled: true, maxEntries: 100, maxBytes: 20_000 } })
    for (let page = 1; page <= 10; page++) await app.inject(`/api/users/profiles?pagination=25&page=${page % 4 + 1}`)
    for (let page = 1; page <= 10; page++) await app.inject(`/users/${page % 4 + 1}`)
    const { entries, bytes } = app.answerStore.stats
    expect(bytes).toBeGreaterThan(0)
    expect(bytes).toBeLessThanOrEqual(20_000)
    expect(entries).toBeLessThan(8)
  })

  it('takes a newer data version from any page it reads from the file, without waiting', async () => {
    const path = await sampleDatabase(40)
    const app = await build(path, { resultCache: { enabled: true, maxEntries: 10, maxBytes: 1 << 20 } })
    expect((await app.inject('/api/users/profiles?pagination=5')).json().total).toBe(40)
    await seedDatabase({ databasePath: path, batches: sampleAccounts({ since: 0, total: 60 }) })
    // A URL not kept is read from the file, at the version the seed made: every answer follows.
    expect((await app.inject('/api/users/profiles?pagination=6')).json().total).toBe(60)
    expect((await app.inject('/api/users/profiles?pagination=5')).json().total).toBe(60)
  })

  it('serves a repeated query from memory until the data changes', async () => {
    const path = await sampleDatabase(30)
    const app = await build(path, { resultCache: { enabled: true, maxEntries: 10, maxBytes: 1 << 20 } })
    const first = await app.inject('/api/users/profiles')
    expect(app.answerStore.stats).toMatchObject({ entries: 1, hits: 0, misses: 1 })
    const second = await app.inject('/api/users/profiles')
    expect(app.answerStore.stats).toMatchObject({ entries: 1, hits: 1, misses: 1 })
    expect(second.body).toBe(first.body)
    expect(second.headers.etag).toBe(first.headers.etag)
    expect(second.headers.link).toBe(first.headers.link)
    await seedDatabase({ databasePath: path, batches: sampleAccounts({ since: 0, total: 31 }) })
    await untilWritesShow()
    expect((await app.inject('/api/users/profiles')).json().total).toBe(31)
    expect(app.answerStore.stats.entries).toBe(1)
  })
})
