// Profiles as the routes read them: the repository behind a bounded in-memory result cache.
import { LRUCache } from 'lru-cache'
import { canonicalQueryKey } from '../query/profilesQuery.js'
import type { Profile, ProfilesQuery } from '../schemas/profiles.js'
import type { ProfilesRepository, ProfilesSlice } from './profilesRepository.js'

export interface ResultCacheOptions {
  enabled: boolean
  maxEntries: number
}

export class ProfilesCatalog {
  private readonly results: LRUCache<string, ProfilesSlice> | undefined
  private resultsVersion = ''

  constructor (private readonly repository: ProfilesRepository, cache: ResultCacheOptions) {
    this.results = cache.enabled ? new LRUCache({ max: cache.maxEntries }) : undefined
  }

  /** Changes with every write to the file, whoever made it (see ProfilesRepository.dataVersion). */
  dataVersion (): string {
    return this.repository.dataVersion()
  }

  findPage (query: ProfilesQuery): ProfilesSlice {
    if (!this.results) return this.repository.findPage(query)
    const version = this.repository.dataVersion()
    if (version !== this.resultsVersion) {
      this.results.clear()
      this.resultsVersion = version
    }
    const key = canonicalQueryKey(query)
    const cached = this.results.get(key)
    if (cached) return cached
    const slice = this.repository.findPage(query)
    // A seed may have committed in between: only cache what was read at the version we keyed by.
    if (slice.dataVersion === version) this.results.set(key, slice)
    return slice
  }

  findById (id: number): Profile | undefined {
    return this.repository.findById(id)
  }

  get cachedResults (): number {
    return this.results?.size ?? 0
  }
}
