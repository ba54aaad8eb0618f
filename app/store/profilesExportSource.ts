// What an export reads from: one snapshot of the database, walked a bounded chunk at a time.
import type { Profile, ProfilesQuery } from '../schemas/profiles.js'
import type { MaybePromise, ProfileFilters } from './profilesSource.js'

/** The list an export writes: its filters and order. */
export type ExportQuery = ProfileFilters & Pick<ProfilesQuery, 'order_by'>

/** Rows read in one step of an export, at most: a step holds the event loop (or a connection) this long. */
export const EXPORT_CHUNK_ROWS = 1000

/** One export's snapshot: its version and row count, then its rows in order. */
export interface ProfilesExport {
  dataVersion: string
  total: number
  /** The next rows in order (at most EXPORT_CHUNK_ROWS, possibly none), or undefined once every row was read. */
  next: () => MaybePromise<Profile[] | undefined>
  /** Ends the snapshot and gives its connection back; safe to call more than once. */
  close: () => MaybePromise<void>
}

export interface ProfilesExportSource {
  open: (query: ExportQuery) => Promise<ProfilesExport>
}
