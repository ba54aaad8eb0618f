// Opening the SQLite file: a writable connection that migrates it, a read-only one for serving.
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import BetterSqlite3, { type Database } from 'better-sqlite3'
import { derivedDataIsCurrent, rebuildDerivedData } from '../derivedData.js'
import { migrate } from './migrations.js'

async function openAndMigrate (path: string, create: boolean): Promise<{ db: Database, applied: string[] }> {
  if (create) mkdirSync(dirname(path), { recursive: true })
  const db = new BetterSqlite3(path, { timeout: 10_000, fileMustExist: !create })
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    return { db, applied: await migrate(db) }
  } catch (error) {
    db.close()
    throw error
  }
}

/** Opens (creating when missing) the file for writing, in WAL mode, migrated to our schema. */
export async function openWritableDatabase (path: string): Promise<Database> {
  return (await openAndMigrate(path, true)).db
}

export interface PreparedFile {
  /** Names of the migrations applied. */
  applied: string[]
  /** Whether the derived data (positions, profiles' JSON, counts, trigrams) had to be rebuilt: another tool wrote the file. */
  rebuilt: boolean
}

/** Brings an existing file up to our schema and its derived data up to date, for the server. */
export async function prepareDatabaseFile (path: string): Promise<PreparedFile> {
  const { db, applied } = await openAndMigrate(path, false)
  try {
    const rebuilt = !derivedDataIsCurrent(db)
    if (rebuilt) db.transaction(() => rebuildDerivedData(db)).immediate()
    return { applied, rebuilt }
  } finally {
    db.close()
  }
}

/** The server's connection: read-only, so only the seed CLI (or a migration) ever writes. */
export function openReadOnlyDatabase (path: string): Database {
  const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true, timeout: 10_000 })
  db.pragma('query_only = ON')
  return db
}
