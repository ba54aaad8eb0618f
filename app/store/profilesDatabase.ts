// The database the service reads profiles from: the SQLite file, or PostgreSQL when DATABASE_URL is set.
import { setTimeout as delay } from 'node:timers/promises'
import type { AppConfig } from '../config.js'
import { checkDatabaseFile, type DatabaseHealth } from './databaseHealth.js'
import { openReadOnlyDatabase, prepareDatabaseFile } from './sqlite/database.js'
import { openPostgresPool } from './postgres/connection.js'
import { checkPostgres } from './postgres/health.js'
import { PostgresProfilesExports } from './postgres/profilesExport.js'
import { PostgresProfilesFacets } from './postgres/profilesFacets.js'
import { PostgresProfilesRepository } from './postgres/profilesRepository.js'
import { preparePostgres } from './postgres/schema.js'
import { FileProfilesExports } from './sqlite/profilesExport.js'
import type { ProfilesExportSource } from './profilesExportSource.js'
import { ProfilesFacets } from './sqlite/profilesFacets.js'
import type { ProfilesFacetsSource } from './profilesFacetsSource.js'
import { ProfilesRepository } from './sqlite/profilesRepository.js'
import type { MaybePromise, ProfilesSource } from './profilesSource.js'
import { facetsOffLoop, SearchPool, searchingOffLoop } from './sqlite/searchPool.js'

/** A page's statement takes milliseconds; one that runs this long is cancelled, and its request gets a 503. */
const SERVING_STATEMENT_TIMEOUT_MS = 30_000

/** How long the app waits before serving for the search worker to load and open the file. */
const SEARCH_WORKER_WAIT_MS = 2_000

export type DatabaseSettings = Pick<AppConfig, 'databasePath' | 'databaseUrl'>

export interface ProfilesDatabase {
  source: ProfilesSource
  facets: ProfilesFacetsSource
  exports: ProfilesExportSource
  checkHealth: () => MaybePromise<DatabaseHealth>
  close: () => Promise<void>
}

export interface ProfilesDatabaseEvents {
  /** A connection to PostgreSQL failed while idle (or its notifications connection did): logged, not thrown. */
  onConnectionError?: (error: Error) => void
}

/** Where the data is, for logs and messages: the file's path, or the URL without its password. */
export function databaseLabel ({ databasePath, databaseUrl }: DatabaseSettings): string {
  if (databaseUrl === undefined) return databasePath
  const url = new URL(databaseUrl)
  url.password = ''
  url.searchParams.delete('password')
  return url.toString()
}

/** Brings the database up to our schema and its derived data up to date (before serving). */
export async function prepareProfilesDatabase ({ databasePath, databaseUrl }: DatabaseSettings): Promise<{ applied: string[], rebuilt: boolean }> {
  if (databaseUrl === undefined) return await prepareDatabaseFile(databasePath)
  const pool = openPostgresPool(databaseUrl, { max: 1 })
  try {
    return await preparePostgres(pool)
  } finally {
    await pool.end()
  }
}

export async function openProfilesDatabase (
  { databasePath, databaseUrl }: DatabaseSettings, { onConnectionError }: ProfilesDatabaseEvents = {}
): Promise<ProfilesDatabase> {
  if (databaseUrl === undefined) {
    const db = openReadOnlyDatabase(databasePath)
    const repository = new ProfilesRepository(db)
    const facets = new ProfilesFacets(db)
    const searches = new SearchPool(databasePath)
    // The worker runs at the lowest priority: on a saturated machine the app serves without it.
    await Promise.race([searches.ready, delay(SEARCH_WORKER_WAIT_MS, undefined, { ref: false })])
    return {
      source: searchingOffLoop(repository, searches),
      facets: facetsOffLoop(facets, searches),
      exports: new FileProfilesExports(databasePath),
      checkHealth: () => checkDatabaseFile(databasePath),
      close: async () => {
        await searches.close()
        db.close()
      }
    }
  }
  const pool = openPostgresPool(databaseUrl, { statementTimeoutMs: SERVING_STATEMENT_TIMEOUT_MS, onIdleError: onConnectionError, serving: true })
  try {
    const repository = await PostgresProfilesRepository.open(pool, databaseUrl, { onListenError: onConnectionError })
    return {
      source: repository,
      facets: new PostgresProfilesFacets(pool),
      exports: new PostgresProfilesExports(pool),
      checkHealth: () => checkPostgres(pool),
      close: async () => {
        await repository.close()
        await pool.end()
      }
    }
  } catch (error) {
    await pool.end()
    throw error
  }
}
