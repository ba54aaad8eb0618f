// The one store of finished answers and of the ETags issued, in the abstract-cache protocol that
// @fastify/caching speaks (it is fastify.cache): this process's memory, bounded, with Redis behind
// it when REDIS_URL is set. Every id names a data version (see entityTag), and the store answers
// only for the current one. Redis down or slow is a miss, never an error.
import { Redis } from 'ioredis'
import { LRUCache } from 'lru-cache'

/** abstract-cache's key: an id within a segment. */
export interface CacheKey { id: string, segment: string }
/** abstract-cache's answer to get(). */
export interface CacheResult<T> { item: T, stored: number, ttl: number }
type Callback<T> = (error: unknown, result: T) => void

/** A finished answer, sent again as it is: its own headers (Content-Type, Link…) and its bytes. */
export interface Answer {
  headers: Record<string, string>
  body: Buffer
}

/** The segment @fastify/caching is told to keep the tags it has issued in; finished answers go in ANSWERS. */
export const TAGS = 'fastify-caching'
export const ANSWERS = 'answers'

export interface AnswerStoreOptions {
  /** Whether finished answers are kept (RESULT_CACHE); the tags issued always are. */
  keepAnswers: boolean
  maxEntries: number
  maxBytes: number
  /** Redis (REDIS_URL), shared by every worker and machine serving the same data. */
  redis?: { url: string, ttlSeconds: number }
  /** How every id of the current data version begins: no other is answered or kept. */
  currentPrefix: () => string
  /** Longest wait for one Redis command before it counts as a miss. */
  redisTimeoutMs?: number
  /** Told once when Redis stops answering and once when it is back. */
  onRedisStateChange?: (state: 'up' | 'down', error?: Error) => void
}

export interface AnswerStoreStats {
  hits: number
  misses: number
  entries: number
  bytes: number
  redis?: { hits: number, misses: number, errors: number, up: boolean }
}

interface Entry { item: unknown, stored: number, ttl: number }

const REDIS_PREFIX = 'ghusers:'
const NEWLINE = 0x0a
/** A tag is a few dozen bytes: many more of them than answers fit in the same memory. */
const TAGS_PER_ANSWER = 4

/** An answer as Redis holds it: its headers as a JSON line, then its bytes (JSON escapes every newline). */
function encodeAnswer ({ headers, body }: Answer): Buffer {
  return Buffer.concat([Buffer.from(`${JSON.stringify(headers)}\n`), body])
}

/** The answer a Redis value holds, or undefined when it is not one of ours (another tool wrote the key). */
function decodeAnswer (value: Buffer): Answer | undefined {
  const end = value.indexOf(NEWLINE)
  if (end < 0) return undefined
  try {
    const headers = JSON.parse(value.subarray(0, end).toString()) as unknown
    if (typeof headers !== 'object' || headers === null || !Object.values(headers).every((v) => typeof v === 'string')) return undefined
    return { headers: headers as Record<string, string>, body: value.subarray(end + 1) }
  } catch {
    return undefined
  }
}

export class AnswerStore {
  private readonly answers: LRUCache<string, Entry> | undefined
  private readonly tags: LRUCache<string, Entry>
  private readonly redis: RedisTier | undefined
  private readonly currentPrefix: () => string
  private prefix = ''
  private hits = 0
  private misses = 0

  constructor (options: AnswerStoreOptions) {
    const { keepAnswers, maxEntries, maxBytes, redis, currentPrefix } = options
    this.currentPrefix = currentPrefix
    this.answers = keepAnswers
      ? new LRUCache({ max: maxEntries, maxSize: maxBytes, sizeCalculation: (entry) => (entry.item as Answer).body.length + 200 })
      : undefined
    this.tags = new LRUCache({ max: maxEntries * TAGS_PER_ANSWER })
    this.redis = keepAnswers && redis ? new RedisTier(redis.url, redis.ttlSeconds, options) : undefined
  }

  get<T> (key: CacheKey): Promise<CacheResult<T> | null>
  get<T> (key: CacheKey, callback: Callback<CacheResult<T> | null>): void
  get<T> (key: CacheKey, callback?: Callback<CacheResult<T> | null>): Promise<CacheResult<T> | null> | undefined {
    const found = this.find<T>(key)
    if (!callback) return found
    found.then((result) => { callback(null, result) }, (error: unknown) => { callback(error, null) })
    return undefined
  }

  set (key: CacheKey, value: unknown, ttlMs: number): Promise<void>
  set (key: CacheKey, value: unknown, ttlMs: number, callback: Callback<void>): void
  set (key: CacheKey, value: unknown, ttlMs: number, callback?: Callback<void>): Promise<void> | undefined {
    this.keep(key, value, ttlMs)
    if (!callback) return Promise.resolve()
    callback(null, undefined)
    return undefined
  }

  has (key: CacheKey, callback?: Callback<boolean>): Promise<boolean> | undefined {
    const found = this.find(key).then((result) => result !== null)
    if (!callback) return found
    found.then((result) => { callback(null, result) }, (error: unknown) => { callback(error, false) })
    return undefined
  }

  delete (key: CacheKey, callback?: Callback<void>): Promise<void> | undefined {
    this.memory(key.segment)?.delete(key.id)
    if (!callback) return Promise.resolve()
    callback(null, undefined)
    return undefined
  }

  get stats (): AnswerStoreStats {
    return {
      hits: this.hits,
      misses: this.misses,
      entries: this.answers?.size ?? 0,
      bytes: this.answers?.calculatedSize ?? 0,
      redis: this.redis?.stats
    }
  }

  async close (): Promise<void> {
    this.redis?.close()
  }

  /** Whether `id` names the current data version; memory is emptied when that moves on. */
  private isCurrent (id: string): boolean {
    const prefix = this.currentPrefix()
    if (prefix !== this.prefix) {
      this.prefix = prefix
      this.answers?.clear()
      this.tags.clear()
    }
    return id.startsWith(prefix)
  }

  private memory (segment: string): LRUCache<string, Entry> | undefined {
    return segment === TAGS ? this.tags : segment === ANSWERS ? this.answers : undefined
  }

  private async find<T> ({ id, segment }: CacheKey): Promise<CacheResult<T> | null> {
    const memory = this.memory(segment)
    if (!memory || !this.isCurrent(id)) return null
    const now = Date.now()
    let entry = memory.get(id)
    if (entry && entry.stored + entry.ttl < now) {
      memory.delete(id)
      entry = undefined
    }
    if (!entry && this.redis) {
      const stored = await this.redis.get(segment, id)
      if (stored) {
        entry = { item: segment === ANSWERS ? stored.answer : true, stored: now, ttl: stored.ttlMs }
        memory.set(id, entry)
      }
    }
    if (segment === ANSWERS) {
      if (entry) this.hits++
      else this.misses++
    }
    return entry ? { item: entry.item as T, stored: entry.stored, ttl: entry.stored + entry.ttl - now } : null
  }

  private keep ({ id, segment }: CacheKey, value: unknown, ttlMs: number): void {
    const memory = this.memory(segment)
    if (!memory || !this.isCurrent(id)) return
    // Every answer sends its tag again: Redis is written only when this process did not know it.
    const known = memory.has(id)
    memory.set(id, { item: value, stored: Date.now(), ttl: ttlMs })
    if (!known) this.redis?.set(segment, id, segment === ANSWERS ? encodeAnswer(value as Answer) : Buffer.from('1'))
  }
}

/** Redis behind this process's memory: commands fail at once while it is away, and time out fast. */
class RedisTier {
  private readonly client: Redis
  private hits = 0
  private misses = 0
  private errors = 0
  private state: 'starting' | 'up' | 'down' = 'starting'

  constructor (url: string, private readonly ttlSeconds: number, { redisTimeoutMs = 50, onRedisStateChange }: AnswerStoreOptions) {
    this.client = new Redis(url, {
      // Fail at once while disconnected instead of queueing: a request does not wait for Redis.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: redisTimeoutMs,
      connectTimeout: Math.max(redisTimeoutMs, 1000),
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000)
    })
    const change = (state: 'up' | 'down', error?: Error) => {
      if (this.state === state) return
      this.state = state
      onRedisStateChange?.(state, error)
    }
    this.client.on('ready', () => { change('up') })
    // ioredis emits an error per failed attempt to connect: told once, until it is back.
    this.client.on('error', (error: Error) => { change('down', error) })
    this.client.on('close', () => { change('down') })
  }

  async get (segment: string, id: string): Promise<{ answer?: Answer, ttlMs: number } | undefined> {
    try {
      const value = await this.client.getBuffer(REDIS_PREFIX + segment + ':' + id)
      const answer = value !== null && segment === ANSWERS ? decodeAnswer(value) : undefined
      const found = value !== null && (segment !== ANSWERS || answer !== undefined)
      if (found) this.hits++
      else this.misses++
      return found ? { answer, ttlMs: this.ttlSeconds * 1000 } : undefined
    } catch {
      this.errors++
      this.misses++
      return undefined
    }
  }

  /** Stores without waiting; a failure only counts. */
  set (segment: string, id: string, value: Buffer): void {
    this.client.set(REDIS_PREFIX + segment + ':' + id, value, 'EX', this.ttlSeconds).catch(() => { this.errors++ })
  }

  get stats () {
    return { hits: this.hits, misses: this.misses, errors: this.errors, up: this.state === 'up' }
  }

  close (): void {
    this.client.disconnect()
  }
}
