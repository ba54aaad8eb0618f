// Writes accounts from a source into the SQLite file: one transaction, upserts, one version bump.
import type { Database } from 'better-sqlite3'
import type { Profile } from '../schemas/profiles.js'
import { openWritableDatabase } from '../store/database.js'
import { rebuildDerivedData } from '../store/derivedData.js'
import {
  CHANGE_TRIGGERS_SQL, DROP_CHANGE_TRIGGERS_SQL, DROP_SECONDARY_INDEXES_SQL, SECONDARY_INDEXES_SQL
} from '../store/migrations.js'

export interface SeedOptions {
  databasePath: string
  batches: AsyncIterable<Profile[]>
  onProgress?: (written: number) => void
}

export interface SeedResult {
  written: number
  seconds: number
  /** The largest id written, for resuming with --since. */
  lastId: number | undefined
}

/** Thrown when the source fails after some accounts were already committed. */
export class SeedInterruptedError extends Error {
  constructor (readonly result: SeedResult, override readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause))
  }
}

/**
 * Stores every account the source yields. The file is opened only once the first batch
 * arrives, so a source that fails at once leaves no file and changes none. Readers keep
 * seeing the previous state until the single commit at the end. When the source fails
 * midway, the accounts already fetched are committed (they are whole and let a run resume
 * with --since) and a SeedInterruptedError reports them.
 */
export async function seedDatabase ({ databasePath, batches, onProgress }: SeedOptions): Promise<SeedResult> {
  const started = performance.now()
  let db: Database | undefined
  let upsert: ((rows: Profile[]) => void) | undefined
  let written = 0
  let lastId: number | undefined
  const result = (): SeedResult => ({ written, lastId, seconds: (performance.now() - started) / 1000 })

  const commit = (): void => {
    if (!db) return
    // One version bump for the whole run instead of one per row from the triggers. A new file id
    // too: copies of one file seeded apart (one per machine) must not reach the same version, or
    // their ETags and the answers they share through Redis would name different data alike.
    db.exec(`UPDATE ghusers_meta SET value = value + 1 WHERE key = 'data_version';
      UPDATE ghusers_meta SET value = lower(hex(randomblob(8))) WHERE key = 'file_id'; ${SECONDARY_INDEXES_SQL}`)
    rebuildDerivedData(db)
    db.exec(`${CHANGE_TRIGGERS_SQL} COMMIT;`)
  }

  try {
    for await (const batch of batches) {
      if (!db) {
        db = await openWritableDatabase(databasePath)
        // Indexes are cheaper to build once after the load than to keep up row by row.
        db.exec(`BEGIN IMMEDIATE; ${DROP_CHANGE_TRIGGERS_SQL} ${DROP_SECONDARY_INDEXES_SQL}`)
        upsert = upsertBatch(db)
      }
      upsert!(batch)
      written += batch.length
      for (const account of batch) lastId = Math.max(lastId ?? 0, account.id)
      onProgress?.(written)
    }
    commit()
    return result()
  } catch (error) {
    if (db?.inTransaction) {
      if (written > 0) commit()
      else db.exec('ROLLBACK')
    }
    if (written > 0) throw new SeedInterruptedError(result(), error)
    throw error
  } finally {
    db?.close()
  }
}

// REPLACE is the upsert we want: an account already stored is rewritten, and a login
// that moved to a new id (a renamed account) is taken off the stale row.
function upsertBatch (db: Database): (rows: Profile[]) => void {
  const insert = db.prepare(
    'INSERT OR REPLACE INTO users (id, username, avatar_url, type, url) VALUES (@id, @username, @avatar_url, @type, @url)')
  return (rows) => { for (const row of rows) insert.run(row) }
}
