// The contract's filters and orders written in plain JS: what any query should return, computed
// without the app's SQL, for tests to compare with.
import type { OrderBy, Profile } from '../../app/schemas/profiles.js'

export interface Filters { username?: string, type?: string, id?: number }

/** ASCII-only lower case, as SQLite's LIKE and NOCASE fold. */
export const asciiLower = (text: string): string => text.replace(/[A-Z]/g, (char) => char.toLowerCase())

export function matching (profiles: Profile[], filters: Filters): Profile[] {
  return profiles.filter((profile) =>
    (filters.username === undefined || asciiLower(profile.username).includes(asciiLower(filters.username))) &&
    (filters.type === undefined || asciiLower(profile.type) === asciiLower(filters.type)) &&
    (filters.id === undefined || profile.id === filters.id))
}

/** Sorted by order_by: usernames case-insensitively, ties by id ascending in both directions. */
export function ordered (profiles: Profile[], orderBy: OrderBy): Profile[] {
  const descending = orderBy.startsWith('-')
  const column = orderBy.replace('-', '') as 'id' | 'username' | 'type'
  const key = (profile: Profile) => column === 'username' ? asciiLower(profile.username) : profile[column]
  return [...profiles].sort((a, b) => {
    const [ka, kb] = [key(a), key(b)]
    const byColumn = ka < kb ? -1 : ka > kb ? 1 : 0
    if (column === 'id') return descending ? -byColumn : byColumn
    return (descending ? -byColumn : byColumn) || a.id - b.id
  })
}

export interface ExpectedPage { total: number, pages: number, ids: number[] }

export function expectedPage (
  profiles: Profile[], filters: Filters, orderBy: OrderBy, page: number, pageSize: number
): ExpectedPage {
  const all = ordered(matching(profiles, filters), orderBy)
  return {
    total: all.length,
    pages: Math.ceil(all.length / pageSize),
    ids: all.slice((page - 1) * pageSize, page * pageSize).map((profile) => profile.id)
  }
}
