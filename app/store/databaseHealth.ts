// Whether the database file can be served: opened afresh, read, and counted, for GET /health.
import { accessSync, constants, existsSync } from 'node:fs'
import BetterSqlite3, { type Database } from 'better-sqlite3'
import { SCHEMA_VERSION } from './sqlite/migrations.js'

export type DatabaseState = 'ok' | 'missing' | 'unreadable' | 'not a database' | 'not migrated' | 'unreachable'

export type DatabaseHealth =
  | { state: 'ok', users: number, dataVersion: string, schemaVersion: number }
  | { state: Exclude<DatabaseState, 'ok'>, reason: string }

function readHealthyFile (db: Database): DatabaseHealth {
  const meta = new Map((db.prepare('SELECT key, value FROM ghusers_meta').all() as Array<{ key: string, value: unknown }>)
    .map(({ key, value }) => [key, value]))
  const derivedCurrent = meta.get('derived_version') === meta.get('data_version')
  const users = derivedCurrent
    ? Number(meta.get('total_count'))
    : db.prepare('SELECT count(*) FROM users').pluck().get() as number
  const schemaVersion = db.prepare('SELECT count(*) FROM ghusers_migrations').pluck().get() as number
  return { state: 'ok', users, dataVersion: `${String(meta.get('file_id'))}.${String(meta.get('data_version'))}`, schemaVersion }
}

function unhealthy (error: unknown, path: string): DatabaseHealth {
  const { code, message } = error as { code?: string, message?: string }
  if (!existsSync(path)) return { state: 'missing', reason: 'The database file does not exist' }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return { state: 'not a database', reason: `The file is not a usable SQLite database: ${message}` }
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return { state: 'unreadable', reason: `The database file cannot be read: permission denied (${code})` }
  }
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM' || code === 'SQLITE_IOERR' || code === 'SQLITE_READONLY') {
    return { state: 'unreadable', reason: `The database file cannot be read: ${message}` }
  }
  if (/no such table/.test(message ?? '')) {
    return { state: 'not migrated', reason: `The database lacks the service's tables: ${message}` }
  }
  return { state: 'unreadable', reason: `The database file cannot be read: ${message ?? String(error)}` }
}

/**
 * Opens `path` read-only on a new connection and reads what /health reports. A new connection,
 * not the server's, so a file deleted, replaced or damaged under the running server shows.
 */
export function checkDatabaseFile (path: string): DatabaseHealth {
  let db: Database | undefined
  try {
    // SQLite may hand a new connection a descriptor it still holds open for the same file, so a
    // file this process may no longer read would still open: ask the kernel, as a restart would.
    accessSync(path, constants.R_OK)
    db = new BetterSqlite3(path, { readonly: true, fileMustExist: true, timeout: 1_000 })
    const health = readHealthyFile(db)
    if (health.state === 'ok' && health.schemaVersion < SCHEMA_VERSION) {
      return { state: 'not migrated', reason: `The file is at schema version ${health.schemaVersion}; the service needs ${SCHEMA_VERSION}` }
    }
    return health
  } catch (error) {
    return unhealthy(error, path)
  } finally {
    db?.close()
  }
}
