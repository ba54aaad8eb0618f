// The server-side result cache: finished answers (body and headers) per query, valid for one
// data version, bounded by count and by bytes, emptied when the data changes.
import { LRUCache } from 'lru-cache'
import type { SharedAnswers } from './sharedAnswers.js'

/** A successful answer, ready to send again as it is. */
export interface Answer {
  /** The data version it was read at. */
  dataVersion: string
  etag: string
  /** Every header of its own: Content-Type, ETag and Cache-Control among them. */
  headers: Record<string, string>
  /** Text as built; kept answers hold bytes, so sending one again encodes nothing. */
  body: string | Buffer
}

export interface ResultCacheOptions {
  enabled: boolean
  maxEntries: number
  maxBytes: number
  /** Redis (REDIS_URL) behind this process's memory, when the cache is enabled. */
  redis?: { url: string, ttlSeconds: number }
}

export interface ResultCacheStats {
  hits: number
  misses: number
  entries: number
  bytes: number
}

/** Longer URLs (a long search term and every parameter) are simply not remembered. */
export const MAX_REMEMBERED_URL_LENGTH = 512

export class ResultCache {
  private readonly answers: LRUCache<string, Answer> | undefined
  /** Request URLs (path and query, as sent) already answered, each with the key of its answer. */
  private readonly urls: LRUCache<string, string> | undefined
  private version = ''
  private hits = 0
  private misses = 0

  /** `shared`: Redis, the tier behind this process's memory, for every worker and machine. */
  constructor ({ enabled, maxEntries, maxBytes }: ResultCacheOptions, readonly shared?: SharedAnswers) {
    this.answers = enabled
      ? new LRUCache({ max: maxEntries, maxSize: maxBytes, sizeCalculation: (answer) => answer.body.length + 200 })
      : undefined
    this.urls = enabled ? new LRUCache({ max: maxEntries * 2 }) : undefined
  }

  get enabled (): boolean {
    return this.answers !== undefined
  }

  /**
   * The answer kept for `key`, if it was read at `dataVersion` (the current one). A lookup that
   * will be tried again when it misses (the fast path's) does not count its miss.
   */
  get (key: string, dataVersion: string, countMiss = true): Answer | undefined {
    if (!this.answers) return undefined
    if (dataVersion !== this.version) {
      this.answers.clear()
      this.version = dataVersion
    }
    const answer = this.answers.get(key)
    if (answer) this.hits++
    else if (countMiss) this.misses++
    return answer
  }

  /**
   * Keeps `answer` unless it was read at another version than the current one (a seed committed
   * meanwhile); the answer as kept (its body as bytes), or `answer` itself when it is not kept.
   */
  set (key: string, answer: Answer): Answer {
    if (!this.answers || answer.dataVersion !== this.version) return answer
    const { dataVersion, etag, headers, body } = answer
    const kept = typeof body === 'string' ? { dataVersion, etag, headers, body: Buffer.from(body) } : answer
    this.answers.set(key, kept)
    return kept
  }

  /** The key of the answer `url` was last given; valid as long as that answer is. */
  keyForUrl (url: string): string | undefined {
    return this.urls?.get(url)
  }

  /** Remembers that `url`, having passed the route's checks, names the answer kept under `key`. */
  rememberUrl (url: string, key: string): void {
    if (this.urls && url.length <= MAX_REMEMBERED_URL_LENGTH) this.urls.set(url, key)
  }

  get stats (): ResultCacheStats {
    return { hits: this.hits, misses: this.misses, entries: this.answers?.size ?? 0, bytes: this.answers?.calculatedSize ?? 0 }
  }
}
