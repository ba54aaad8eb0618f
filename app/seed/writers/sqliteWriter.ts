// The seed's writer for the SQLite file: one IMMEDIATE transaction of REPLACEs, indexes and derived data rebuilt at the end.
import type { Database } from 'better-sqlite3'
import { openWritableDatabase } from '../../store/sqlite/database.js'
import { rebuildDerivedData } from '../../store/derivedData.js'
import {
  CHANGE_TRIGGERS_SQL, DROP_CHANGE_TRIGGERS_SQL, DROP_SECONDARY_INDEXES_SQL, SECONDARY_INDEXES_SQL
} from '../../store/sqlite/migrations.js'
import type { SeedWriter } from '../seedProfiles.js'

export function sqliteWriter (databasePath: string): SeedWriter {
  let db: Database | undefined
  // REPLACE is the upsert we want: an account already stored is rewritten, and a login
  // that moved to a new id (a renamed account) is taken off the stale row.
  let insert: ((row: object) => unknown) | undefined

  return {
    async begin () {
      db = await openWritableDatabase(databasePath)
      // Indexes are cheaper to build once after the load than to keep up row by row.
      db.exec(`BEGIN IMMEDIATE; ${DROP_CHANGE_TRIGGERS_SQL} ${DROP_SECONDARY_INDEXES_SQL}`)
      const statement = db.prepare(
        'INSERT OR REPLACE INTO users (id, username, avatar_url, type, url) VALUES (@id, @username, @avatar_url, @type, @url)')
      insert = (row) => statement.run(row)
    },
    async write (batch) {
      for (const row of batch) insert!(row)
    },
    async commit () {
      if (!db?.inTransaction) throw new Error('No seed transaction to commit')
      // One version bump for the whole run instead of one per row from the triggers. A new file id
      // too: copies of one file seeded apart (one per machine) must not reach the same version, or
      // their ETags and the answers they share through Redis would name different data alike.
      db.exec(`UPDATE ghusers_meta SET value = value + 1 WHERE key = 'data_version';
        UPDATE ghusers_meta SET value = lower(hex(randomblob(8))) WHERE key = 'file_id'; ${SECONDARY_INDEXES_SQL}`)
      rebuildDerivedData(db)
      db.exec(`${CHANGE_TRIGGERS_SQL} COMMIT;`)
    },
    async rollback () {
      if (db?.inTransaction) db.exec('ROLLBACK')
    },
    async close () {
      db?.close()
    }
  }
}
