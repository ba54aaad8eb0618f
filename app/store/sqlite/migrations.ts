// Schema migrations (umzug): bring any file holding the contract's users table up to our schema.
import type { Database } from 'better-sqlite3'
import { Umzug, type UmzugStorage } from 'umzug'
import {
  DERIVED_TABLES_SQL, PROFILE_JSON_TABLE_SQL, TERM_COUNTS_TABLE_SQL, TERM_IDS_TABLE_SQL, TERM_MARKS_MIGRATION_SQL, TYPE_POSITIONS_TABLES_SQL,
  TYPE_TRIGRAMS_TABLES_SQL
} from '../derivedData.js'

/**
 * Every write to users bumps ghusers_meta.data_version, so a file changed by any tool
 * gets a new version (and new ETags). The seed CLI drops these triggers during its bulk
 * load and bumps the version once instead; it recreates them from this same SQL.
 */
export const CHANGE_TRIGGERS_SQL = ['INSERT', 'UPDATE', 'DELETE'].map((event) => `
  CREATE TRIGGER IF NOT EXISTS users_after_${event.toLowerCase()} AFTER ${event} ON users
  BEGIN
    UPDATE ghusers_meta SET value = value + 1 WHERE key = 'data_version';
  END;`).join('\n')

export const DROP_CHANGE_TRIGGERS_SQL = ['insert', 'update', 'delete']
  .map((event) => `DROP TRIGGER IF EXISTS users_after_${event};`).join('\n')

// The secondary indexes as migrations 0001 and 0004 made them (a released migration is never edited).
const FIRST_INDEXES_SQL = `
  CREATE INDEX IF NOT EXISTS users_username_nocase ON users (username COLLATE NOCASE, id);
  CREATE INDEX IF NOT EXISTS users_type ON users (type, id);`
/** Indexes in every order's exact sort (descending keys with ascending ids, by type): keyset pages read from a cursor on. */
const KEYSET_INDEXES_SQL = `
  CREATE INDEX IF NOT EXISTS users_username_nocase_desc ON users (username COLLATE NOCASE DESC, id);
  CREATE INDEX IF NOT EXISTS users_type_desc ON users (type DESC, id);
  CREATE INDEX IF NOT EXISTS users_type_username ON users (type, username COLLATE NOCASE, id);
  CREATE INDEX IF NOT EXISTS users_type_username_desc ON users (type, username COLLATE NOCASE DESC, id);`

/** users' secondary indexes as they are now, by name: their columns. */
const SECONDARY_INDEXES: Record<string, string> = {
  users_username_nocase: 'username COLLATE NOCASE, id',
  // The type orders' indexes hold the username: a search in a type order tests each login from the index alone.
  users_type: 'type, id, username',
  users_username_nocase_desc: 'username COLLATE NOCASE DESC, id',
  users_type_desc: 'type DESC, id, username',
  users_type_username: 'type, username COLLATE NOCASE, id',
  users_type_username_desc: 'type, username COLLATE NOCASE DESC, id'
}
const createIndexSql = (name: string) => `CREATE INDEX IF NOT EXISTS ${name} ON users (${SECONDARY_INDEXES[name]!});`

/** users' secondary indexes: the seed drops them for a bulk load and builds them after. */
export const SECONDARY_INDEXES_SQL = Object.keys(SECONDARY_INDEXES).map(createIndexSql).join('\n')
export const DROP_SECONDARY_INDEXES_SQL = Object.keys(SECONDARY_INDEXES).map((name) => `DROP INDEX IF EXISTS ${name};`).join(' ')

const TYPE_INDEXES_WITH_USERNAME_SQL = ['users_type', 'users_type_desc']
  .map((name) => `DROP INDEX IF EXISTS ${name}; ${createIndexSql(name)}`).join('\n')

interface Migration {
  name: string
  sql: string
}

// Append only: a released migration is never edited, a change is a new entry.
const MIGRATIONS: Migration[] = [
  {
    name: '0001-contract-table-meta-indexes',
    sql: `
      CREATE TABLE IF NOT EXISTS users (
        id         INTEGER PRIMARY KEY,
        username   TEXT NOT NULL UNIQUE,
        avatar_url TEXT NOT NULL,
        type       TEXT NOT NULL,
        url        TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS ghusers_meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
      INSERT OR IGNORE INTO ghusers_meta (key, value) VALUES
        ('data_version', 1),
        ('file_id', lower(hex(randomblob(8))));
      ${FIRST_INDEXES_SQL}
      ${CHANGE_TRIGGERS_SQL}`
  },
  {
    name: '0002-positions-counts-trigrams',
    sql: DERIVED_TABLES_SQL
  },
  {
    name: '0003-profile-json',
    sql: PROFILE_JSON_TABLE_SQL
  },
  {
    // The new tables are empty: the derived data is marked stale, and start-up rebuilds it.
    name: '0004-type-positions-keyset-indexes',
    sql: TYPE_POSITIONS_TABLES_SQL + KEYSET_INDEXES_SQL
  },
  {
    name: '0005-short-term-counts',
    sql: TERM_COUNTS_TABLE_SQL
  },
  {
    name: '0006-three-character-counts-rare-term-ids',
    sql: TERM_IDS_TABLE_SQL
  },
  {
    name: '0007-common-term-marks-name-trigrams',
    sql: TERM_MARKS_MIGRATION_SQL
  },
  {
    name: '0008-type-ordered-trigrams',
    sql: TYPE_TRIGRAMS_TABLES_SQL
  },
  {
    name: '0009-type-indexes-with-username',
    sql: TYPE_INDEXES_WITH_USERNAME_SQL
  }
]

export const SCHEMA_VERSION = MIGRATIONS.length

function migrationsTableStorage (db: Database): UmzugStorage {
  db.exec(`CREATE TABLE IF NOT EXISTS ghusers_migrations (
    name TEXT PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT (datetime('now'))
  ) WITHOUT ROWID`)
  return {
    async logMigration ({ name }) {
      db.prepare('INSERT OR IGNORE INTO ghusers_migrations (name) VALUES (?)').run(name)
    },
    async unlogMigration ({ name }) {
      db.prepare('DELETE FROM ghusers_migrations WHERE name = ?').run(name)
    },
    async executed () {
      return db.prepare('SELECT name FROM ghusers_migrations ORDER BY name').pluck().all() as string[]
    }
  }
}

/** Applies the pending migrations to a writable connection; returns the names it applied. */
export async function migrate (db: Database): Promise<string[]> {
  const umzug = new Umzug({
    migrations: MIGRATIONS.map(({ name, sql }) => ({
      name,
      // Each migration is idempotent and atomic, so a crash before it is logged is harmless.
      up: async () => { db.transaction(() => db.exec(sql))() }
    })),
    storage: migrationsTableStorage(db),
    logger: undefined
  })
  const applied = await umzug.up()
  return applied.map((migration) => migration.name)
}
