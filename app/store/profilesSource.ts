// What the routes read profiles from: the SQLite file's repository or PostgreSQL's.
import type { Profile, ProfilesQuery } from '../schemas/profiles.js'
import type { PageQuery, RowPosition } from './profilesPlan.js'

/** The filters of a query (facets and exports take them without paging). */
export type ProfileFilters = Pick<ProfilesQuery, 'username' | 'id' | 'type'>

/** A value, or a promise of one: the SQLite file answers at once, PostgreSQL over the network. */
export type MaybePromise<T> = T | Promise<T>

/** `next(value)`, at once when `value` is there, else once it is: no promise when none was needed. */
export function whenReady<T, U> (value: MaybePromise<T>, next: (value: T) => U): MaybePromise<U> {
  return value instanceof Promise ? value.then(next) : next(value)
}

/** A page as read from the database: its rows already as the API's JSON array. */
export interface PageRead {
  /** The data version the page was read at (see ProfilesSource.dataVersion()). */
  dataVersion: string
  total: number
  /** The page's profiles as a JSON array, built by the database. */
  resultsJson: string
  /** The last row of the page when another page follows (a cursor's position), else null. */
  nextAfter: RowPosition | null
}

/** A total counted for some filters at some data version, to skip counting again. */
export interface KnownTotal { dataVersion: string, total: number }

export interface ProfilesSource {
  /**
   * A token that changes whenever the users table changes, whoever changed it, and is the same
   * for every process serving the same data. Synchronous: every answer's tag and key is made from it.
   */
  dataVersion: () => string
  /**
   * The total matching the filters and the rows of the requested page, from one snapshot. A
   * caller that already knows the total for these filters at some data version passes it: it is
   * used when the page is read at that same version.
   */
  readPage: (query: PageQuery, known?: KnownTotal) => MaybePromise<PageRead>
  findById: (id: number) => MaybePromise<Profile | undefined>
  /** Up to `limit` accounts with an id above `since`, in id order (keyset: the cost does not grow with `since`). */
  listAfterId: (since: number, limit: number) => MaybePromise<Profile[]>
  /** The account whose login is `login` ignoring ASCII case; an exact match wins over one differing in case. */
  findByLogin: (login: string) => MaybePromise<Profile | undefined>
  /** Every account in the database. */
  countAll: () => MaybePromise<number>
}
