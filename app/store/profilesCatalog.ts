// Profiles as the routes read them: the database's, with the data version trusted for a moment and
// the totals of filtered lists remembered.
import { performance } from 'node:perf_hooks'
import { LRUCache } from 'lru-cache'
import { canonicalFiltersKey } from '../query/profilesQuery.js'
import type { Profile } from '../schemas/profiles.js'
import type { PageQuery } from './profilesPlan.js'
import { type KnownTotal, type MaybePromise, type PageRead, type ProfilesSource, whenReady } from './profilesSource.js'

// Totals of filtered lists cost a count over every match; paging through one search should pay
// it once per data version. Kept even with RESULT_CACHE=off (entries are a few bytes).
const MAX_REMEMBERED_TOTALS = 10_000

/**
 * How long a data version read from the file is trusted before it is read again: asking SQLite
 * costs a read transaction (file locks) on every request the answer store answers; a write by the
 * seed or another tool shows within this time instead.
 */
export const DATA_VERSION_RECHECK_MS = 100

export class ProfilesCatalog {
  private readonly totals = new LRUCache<string, KnownTotal>({ max: MAX_REMEMBERED_TOTALS })
  private version = ''
  private versionTrustedUntil = 0

  constructor (private readonly source: ProfilesSource, private readonly recheckMs = DATA_VERSION_RECHECK_MS) {}

  /**
   * Changes with every write to the users table, whoever made it (see ProfilesSource.dataVersion),
   * at most DATA_VERSION_RECHECK_MS after the write commits.
   */
  dataVersion (): string {
    const now = performance.now()
    if (now >= this.versionTrustedUntil) {
      this.version = this.source.dataVersion()
      this.versionTrustedUntil = now + this.recheckMs
    }
    return this.version
  }

  readPage (query: PageQuery): MaybePromise<PageRead> {
    const filters = canonicalFiltersKey(query)
    const known = this.totals.get(filters)
    return whenReady(this.source.readPage(query, known), (read) => {
      // A page is read at the database's version of that moment: a newer one than trusted is current now.
      if (read.dataVersion !== this.version) this.versionTrustedUntil = 0
      if (known?.dataVersion !== read.dataVersion) this.totals.set(filters, { dataVersion: read.dataVersion, total: read.total })
      return read
    })
  }

  findById (id: number): MaybePromise<Profile | undefined> {
    return this.source.findById(id)
  }

  listAfterId (since: number, limit: number): MaybePromise<Profile[]> {
    return this.source.listAfterId(since, limit)
  }

  findByLogin (login: string): MaybePromise<Profile | undefined> {
    return this.source.findByLogin(login)
  }

  /** Every account in the database. */
  countAll (): MaybePromise<number> {
    return this.source.countAll()
  }
}
