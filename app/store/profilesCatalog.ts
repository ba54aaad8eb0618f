// Profiles as the routes read them: the repository, with the totals of filtered lists remembered.
import { LRUCache } from 'lru-cache'
import { canonicalFiltersKey } from '../query/profilesQuery.js'
import type { Profile, ProfilesQuery } from '../schemas/profiles.js'
import type { KnownTotal, PageRead, ProfilesRepository } from './profilesRepository.js'

// Totals of filtered lists cost a count over every match; paging through one search should pay
// it once per data version. Kept even with the result cache off (entries are a few bytes).
const MAX_REMEMBERED_TOTALS = 10_000

export class ProfilesCatalog {
  private readonly totals = new LRUCache<string, KnownTotal>({ max: MAX_REMEMBERED_TOTALS })

  constructor (private readonly repository: ProfilesRepository) {}

  /** Changes with every write to the file, whoever made it (see ProfilesRepository.dataVersion). */
  dataVersion (): string {
    return this.repository.dataVersion()
  }

  readPage (query: ProfilesQuery): PageRead {
    const filters = canonicalFiltersKey(query)
    const known = this.totals.get(filters)
    const read = this.repository.readPage(query, known)
    if (known?.dataVersion !== read.dataVersion) this.totals.set(filters, { dataVersion: read.dataVersion, total: read.total })
    return read
  }

  findById (id: number): Profile | undefined {
    return this.repository.findById(id)
  }

  /** Every account in the file. */
  countAll (): number {
    return this.repository.countAll()
  }
}
