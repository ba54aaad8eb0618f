// Profiles as the routes read them: the repository behind a bounded in-memory result cache.
import { LRUCache } from 'lru-cache'
import { canonicalFiltersKey, canonicalQueryKey } from '../query/profilesQuery.js'
import type { Profile, ProfilesQuery } from '../schemas/profiles.js'
import type { KnownTotal, ProfilesRepository, ProfilesSlice } from './profilesRepository.js'

export interface ResultCacheOptions {
  enabled: boolean
  maxEntries: number
}

// Totals of filtered lists cost a count over every match; paging through one search
// should pay it once. Kept even with the result cache off (entries are a few bytes).
const MAX_CACHED_TOTALS = 10_000

export interface ResultCacheStats {
  hits: number
  misses: number
  entries: number
}

export class ProfilesCatalog {
  private readonly results: LRUCache<string, ProfilesSlice> | undefined
  private readonly totals = new LRUCache<string, KnownTotal>({ max: MAX_CACHED_TOTALS })
  private resultsVersion = ''
  private hits = 0
  private misses = 0

  constructor (private readonly repository: ProfilesRepository, cache: ResultCacheOptions) {
    this.results = cache.enabled ? new LRUCache({ max: cache.maxEntries }) : undefined
  }

  /** Changes with every write to the file, whoever made it (see ProfilesRepository.dataVersion). */
  dataVersion (): string {
    return this.repository.dataVersion()
  }

  findPage (query: ProfilesQuery): ProfilesSlice {
    if (!this.results) return this.readPage(query)
    const version = this.repository.dataVersion()
    if (version !== this.resultsVersion) {
      this.results.clear()
      this.resultsVersion = version
    }
    const key = canonicalQueryKey(query)
    const cached = this.results.get(key)
    if (cached) {
      this.hits++
      return cached
    }
    this.misses++
    const slice = this.readPage(query)
    // A seed may have committed in between: only cache what was read at the version we keyed by.
    if (slice.dataVersion === version) this.results.set(key, slice)
    return slice
  }

  private readPage (query: ProfilesQuery): ProfilesSlice {
    const filters = canonicalFiltersKey(query)
    const slice = this.repository.findPage(query, this.totals.get(filters))
    this.totals.set(filters, { dataVersion: slice.dataVersion, total: slice.total })
    return slice
  }

  findById (id: number): Profile | undefined {
    return this.repository.findById(id)
  }

  /** Every account in the file. */
  countAll (): number {
    return this.repository.countAll()
  }

  get cacheStats (): ResultCacheStats {
    return { hits: this.hits, misses: this.misses, entries: this.results?.size ?? 0 }
  }
}
