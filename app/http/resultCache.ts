// The server-side result cache: finished answers (body and headers) per query, valid for one
// data version, bounded by count and by bytes, emptied when the data changes.
import { LRUCache } from 'lru-cache'

/** A successful answer, ready to send again as it is. */
export interface Answer {
  /** The data version it was read at. */
  dataVersion: string
  etag: string
  contentType: string
  headers: Record<string, string>
  body: Buffer
}

export interface ResultCacheOptions {
  enabled: boolean
  maxEntries: number
  maxBytes: number
}

export interface ResultCacheStats {
  hits: number
  misses: number
  entries: number
  bytes: number
}

export class ResultCache {
  private readonly answers: LRUCache<string, Answer> | undefined
  private version = ''
  private hits = 0
  private misses = 0

  constructor ({ enabled, maxEntries, maxBytes }: ResultCacheOptions) {
    this.answers = enabled
      ? new LRUCache({ max: maxEntries, maxSize: maxBytes, sizeCalculation: (answer) => answer.body.length + 200 })
      : undefined
  }

  get enabled (): boolean {
    return this.answers !== undefined
  }

  /** The answer kept for `key`, if it was read at `dataVersion` (the current one). */
  get (key: string, dataVersion: string): Answer | undefined {
    if (!this.answers) return undefined
    if (dataVersion !== this.version) {
      this.answers.clear()
      this.version = dataVersion
    }
    const answer = this.answers.get(key)
    if (answer) this.hits++
    else this.misses++
    return answer
  }

  /** Keeps `answer` unless it was read at another version than the current one (a seed committed meanwhile). */
  set (key: string, answer: Answer): void {
    if (this.answers && answer.dataVersion === this.version) this.answers.set(key, answer)
  }

  get stats (): ResultCacheStats {
    return { hits: this.hits, misses: this.misses, entries: this.answers?.size ?? 0, bytes: this.answers?.calculatedSize ?? 0 }
  }
}
