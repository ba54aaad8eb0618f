// The worker thread that reads searches (the reads whose cost grows with how many logins a term
// matches) on its own read-only connection, so that they never hold the event loop.
import { workerData } from 'node:worker_threads'
import type { FacetsRead } from '../profilesFacetsSource.js'
import type { PageQuery } from '../profilesPlan.js'
import type { KnownTotal, PageRead, ProfileFilters } from '../profilesSource.js'
import { openReadOnlyDatabase } from './database.js'
import { ProfilesFacets } from './profilesFacets.js'
import { ProfilesRepository } from './profilesRepository.js'

export type SearchTask = { kind: 'page', query: PageQuery, known?: KnownTotal } | { kind: 'facets', filters: ProfileFilters } | { kind: 'open' }

/** The connection, opened before serving or, if that failed, by a search: a file that cannot be opened fails that search, not the worker. */
let reader: { repository: ProfilesRepository, facets: ProfilesFacets } | undefined

function readers (): { repository: ProfilesRepository, facets: ProfilesFacets } {
  if (!reader) {
    const db = openReadOnlyDatabase((workerData as { databasePath: string }).databasePath)
    reader = { repository: new ProfilesRepository(db), facets: new ProfilesFacets(db) }
  }
  return reader
}

export default function search (task: SearchTask): PageRead | FacetsRead | null {
  const { repository, facets } = readers()
  if (task.kind === 'open') return null
  if (task.kind === 'facets') return facets.read(task.filters)
  // Learns whether another connection committed (and whether the derived data still matches).
  repository.dataVersion()
  return repository.readPage(task.query, task.known)
}
