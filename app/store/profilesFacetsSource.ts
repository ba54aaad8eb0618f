// What the facets read (type counts behind the filter bar) returns, from the SQLite file or PostgreSQL.
import { PROFILE_TYPES, type ProfileType } from '../schemas/profiles.js'
import type { ProfileFilters } from './profilesRepository.js'
import type { MaybePromise } from './profilesSource.js'

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
