// What the facets read (type counts behind the filter bar) returns, from the SQLite file or PostgreSQL, and its memory.
import { LRUCache } from 'lru-cache'
import { canonicalFiltersKey } from '../query/profilesQuery.js'
import { PROFILE_TYPES, type ProfileType } from '../schemas/profiles.js'
import { type MaybePromise, type ProfileFilters, whenReady } from './profilesSource.js'

export interface FacetsRead {
  /** The data version the counts were read at. */
  dataVersion: string
  /** Rows matching every filter given. */
  total: number
  /** Rows of each type matching every filter but `type`; all three types, 0 included. */
  type: Record<ProfileType, number>
}

export interface ProfilesFacetsSource {
  read: (filters: ProfileFilters) => MaybePromise<FacetsRead>
}

/**
 * The facets of `counts` (rows per stored type among the rows matching username and id): the total
 * applies the type filter too; a type another tool stored outside the three counts only in an unfiltered total.
 */
export function facetsFromCounts (dataVersion: string, counts: Record<string, number>, typeFilter: ProfileType | undefined): FacetsRead {
  const type = Object.fromEntries(PROFILE_TYPES.map((name) => [name, counts[name] ?? 0])) as Record<ProfileType, number>
  const total = typeFilter === undefined ? Object.values(counts).reduce((sum, count) => sum + count, 0) : type[typeFilter]
  return { dataVersion, total, type }
}

/** `read`'s counts with the type filter applied to its total (`read` was made without one). */
function withTypeFilter (read: FacetsRead, typeFilter: ProfileType | undefined): FacetsRead {
  return typeFilter === undefined ? read : { ...read, total: read.type[typeFilter] }
}

// Counting a username's matches costs a pass over them; paging through one search (and its four
// type chips) should pay it once per data version. Entries are a few bytes.
const MAX_REMEMBERED_FACETS = 10_000

/** Facets remembered per username and id at the current data version; the type filter is applied to them. */
export class RememberedFacets implements ProfilesFacetsSource {
  private readonly remembered = new LRUCache<string, FacetsRead>({ max: MAX_REMEMBERED_FACETS })

  constructor (private readonly source: ProfilesFacetsSource, private readonly dataVersion: () => string) {}

  read (filters: ProfileFilters): MaybePromise<FacetsRead> {
    const key = canonicalFiltersKey({ username: filters.username, id: filters.id })
    const known = this.remembered.get(key)
    if (known?.dataVersion === this.dataVersion()) return withTypeFilter(known, filters.type)
    return whenReady(this.source.read({ username: filters.username, id: filters.id }), (read) => {
      this.remembered.set(key, read)
      return withTypeFilter(read, filters.type)
    })
  }
}
