// The answer store's Redis tier (REDIS_URL), with a real redis-server: answers shared between
// apps serving one file, moved on from by a re-seed, and Redis down, silent or holding junk
// costing database reads, never errors.
import { once } from 'node:events'
import { createServer, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { entityTag } from '../../app/http/answers.js'
import { sampleAccounts } from '../../app/seed/sampleAccounts.js'
import { seedDatabase } from '../../app/seed/seedDatabase.js'
import { DATA_VERSION_RECHECK_MS } from '../../app/store/profilesCatalog.js'
import { cleanUpLater } from '../helpers/cleanup.js'
import { build, sampleDatabase } from '../helpers/fixtures.js'
import { startRedisServer } from '../helpers/redisServer.js'

const LIST = '/api/users/profiles?page=2&pagination=10'
const PAGE = '/users/3?pagination=10'

function redisConfig (url: string, enabled = true) {
  return { resultCache: { enabled, maxEntries: 100, maxBytes: 1 << 20, redis: { url, ttlSeconds: 60 } } }
}

/** A plain client of the test's own, to look at what the app stored. */
function redisClient (url: string): Redis {
  const client = new Redis(url, { lazyConnect: true })
  cleanUpLater(() => client.disconnect())
  return client
}

async function untilRedisIsUp (app: FastifyInstance): Promise<void> {
  for (let attempt = 0; !app.answerStore.stats.redis!.up; attempt++) {
    if (attempt === 200) throw new Error('the app never connected to Redis')
    await sleep(25)
  }
}

async function metricValue (app: FastifyInstance, name: string): Promise<number> {
  const text = (await app.inject('/metrics')).body
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `))
  if (!line) throw new Error(`no ${name} in /metrics`)
  return Number(line.split(' ')[1])
}

describe('Redis behind the memory cache', () => {
  it('an answer one app built is stored in Redis and served by another, bytes and headers alike', async () => {
    const redis = await startRedisServer()
    const databasePath = await sampleDatabase(60)
    const [first, second] = [await build(databasePath, redisConfig(redis.url)), await build(databasePath, redisConfig(redis.url))]
    await Promise.all([untilRedisIsUp(first!), untilRedisIsUp(second!)])

    for (const url of [LIST, PAGE]) {
      const built = await first!.inject(url)
      expect(built.statusCode).toBe(200)
      const shared = await second!.inject(url)
      expect(shared.statusCode).toBe(200)
      expect(shared.body).toBe(built.body)
      for (const header of ['etag', 'content-type', 'cache-control', 'link', 'x-total-count']) {
        expect(shared.headers[header], header).toEqual(built.headers[header])
      }
    }
    expect(second!.answerStore.stats.redis!).toMatchObject({ hits: 2, misses: 0, errors: 0 })
    expect(await metricValue(second!, 'ghusers_redis_cache_hits_total')).toBe(2)
    expect(await metricValue(second!, 'ghusers_redis_cache_up')).toBe(1)
    // Kept in the second app's memory too: asked again, Redis is not asked.
    expect((await second!.inject(LIST)).statusCode).toBe(200)
    expect(second!.answerStore.stats.redis!.hits).toBe(2)

    const client = redisClient(redis.url)
    const keys = await client.keys('ghusers:answers:*')
    expect(keys).toHaveLength(2)
    const built = await first!.inject(LIST)
    const listKey = `ghusers:answers:${built.headers.etag as string}`
    expect(keys).toContain(listKey)
    expect(await client.ttl(listKey)).toBeGreaterThan(0)
    const stored = (await client.getBuffer(listKey))!.toString()
    expect(JSON.parse(stored.slice(0, stored.indexOf('\n')))).toMatchObject({ 'x-total-count': built.headers['x-total-count'] })
    expect(stored.slice(stored.indexOf('\n') + 1)).toBe(built.body)
  })

  it('an app that never built an answer sends the one Redis holds, and a 304 for its tag', async () => {
    const redis = await startRedisServer()
    const databasePath = await sampleDatabase(30)
    const app = await build(databasePath, redisConfig(redis.url))
    await untilRedisIsUp(app)
    // As another app would leave them: the answer, and the tag it issued.
    const etag = entityTag('api-list:page=2&pagination=10&order_by=id', app.profiles.dataVersion())
    const headers = { 'content-type': 'application/json; charset=utf-8', 'x-total-count': '30' }
    await redisClient(redis.url).set(`ghusers:answers:${etag}`, `${JSON.stringify(headers)}\n{"held":"by redis"}`)
    await redisClient(redis.url).set(`ghusers:fastify-caching:${etag}`, '1')

    const revalidated = await app.inject({ url: LIST, headers: { 'if-none-match': etag } })
    expect(revalidated.statusCode).toBe(304)
    expect(revalidated.body).toBe('')
    const sent = await app.inject(LIST)
    expect(sent.statusCode).toBe(200)
    expect(sent.body).toBe('{"held":"by redis"}')
    expect(sent.headers).toMatchObject(headers)
  })

  it('a re-seed moves every app on to answers of the new data', async () => {
    const redis = await startRedisServer()
    const databasePath = await sampleDatabase(30)
    const [first, second] = [await build(databasePath, redisConfig(redis.url)), await build(databasePath, redisConfig(redis.url))]
    await Promise.all([untilRedisIsUp(first!), untilRedisIsUp(second!)])
    expect((await first!.inject(LIST)).json()).toMatchObject({ total: 30 })

    await seedDatabase({ databasePath, batches: sampleAccounts({ since: 0, total: 45 }) })
    await sleep(DATA_VERSION_RECHECK_MS + 5)
    const after = await second!.inject(LIST)
    expect(after.json()).toMatchObject({ total: 45 })
    expect(second!.answerStore.stats.redis!).toMatchObject({ hits: 0, misses: 1 })
    expect((await first!.inject(LIST)).body).toBe(after.body)
  })

  it('with Redis stopped, answers come from the database; once it is back, it is used again', async () => {
    const redis = await startRedisServer()
    const databasePath = await sampleDatabase(40)
    const withoutRedis = await build(databasePath)
    const app = await build(databasePath, redisConfig(redis.url))
    await untilRedisIsUp(app)

    await redis.stop()
    for (const url of [LIST, PAGE, '/api/users/profiles?order_by=-username']) {
      const response = await app.inject(url)
      expect(response.statusCode, url).toBe(200)
      expect(response.body).toBe((await withoutRedis.inject(url)).body)
    }
    expect(app.answerStore.stats.redis!.errors).toBeGreaterThan(0)
    expect(await metricValue(app, 'ghusers_redis_cache_up')).toBe(0)
    expect((await app.inject('/health')).statusCode).toBe(200)

    await redis.start()
    await untilRedisIsUp(app)
    expect((await app.inject('/api/users/profiles?type=User')).statusCode).toBe(200)
    await sleep(50) // the store is not awaited by the request
    expect(await redisClient(redis.url).keys('ghusers:answers:*')).toHaveLength(1)
  })

  it('a Redis that accepts connections and never answers costs no request its answer', async () => {
    const sockets: Socket[] = []
    const silent = createServer((socket) => { sockets.push(socket) }).listen(0, '127.0.0.1')
    await once(silent, 'listening')
    cleanUpLater(() => { for (const socket of sockets) socket.destroy(); silent.close() })
    const databasePath = await sampleDatabase(20)
    const app = await build(databasePath, redisConfig(`redis://127.0.0.1:${(silent.address() as { port: number }).port}`))
    await sleep(100)
    const response = await app.inject(LIST)
    expect(response.statusCode).toBe(200)
    expect(response.body).toBe((await (await build(databasePath)).inject(LIST)).body)
    expect(app.answerStore.stats.redis!).toMatchObject({ up: false, hits: 0 })
  })

  it('a value under one of our keys that is not an answer of ours is a miss, then replaced', async () => {
    const redis = await startRedisServer()
    const databasePath = await sampleDatabase(20)
    const app = await build(databasePath, redisConfig(redis.url))
    await untilRedisIsUp(app)
    const key = `ghusers:answers:${entityTag('api-list:page=2&pagination=10&order_by=id', app.profiles.dataVersion())}`
    const client = redisClient(redis.url)
    const expected = (await (await build(databasePath)).inject(LIST)).body

    for (const junk of ['no line at all', 'not json\n{}', '[1]\n{}', '{"a":2}\n{}']) {
      await client.set(key, junk)
      const fresh = await build(databasePath, redisConfig(redis.url))
      await untilRedisIsUp(fresh)
      const response = await fresh.inject(LIST)
      expect(response.statusCode, junk).toBe(200)
      expect(response.body).toBe(expected)
      expect(fresh.answerStore.stats.redis!).toMatchObject({ hits: 0, misses: 1 })
    }
    await sleep(50)
    expect((await client.getBuffer(key))!.toString()).toContain(expected)
  })

  it('RESULT_CACHE=off turns the Redis tier off too', async () => {
    const redis = await startRedisServer()
    const app = await build(await sampleDatabase(20), redisConfig(redis.url, false))
    expect(app.answerStore.stats.redis).toBeUndefined()
    expect((await app.inject(LIST)).statusCode).toBe(200)
    expect(await redisClient(redis.url).keys('*')).toEqual([])
  })
})
