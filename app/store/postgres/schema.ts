// The PostgreSQL schema (umzug migrations) and its derived data: the same tables and rules as the
// SQLite file's, in PostgreSQL's terms, for a database that several machines serve.
import type pg from 'pg'
import { Umzug, type UmzugStorage } from 'umzug'
import { ORDER_BY_VALUES, type OrderBy } from '../../schemas/profiles.js'
import { positionsTable, TERM_COUNTS_TABLE, TERM_IDS_TABLE, typePositionsTable } from '../derivedData.js'
import { KEPT_TERM_LENGTH, TYPE_POSITION_ORDERS } from '../profilesPlan.js'
import { TERM_MARKS_TABLE } from '../termMarks.js'
import { rebuildLongTermCounts, rebuildTermListsAndMarks } from './termData.js'

/** A profile as the API sends it: row_to_json of one names its five fields, in order. */
export const PROFILE_TYPE = 'ghusers_profile'

/** The one-row state: the database's id, its data version, whether the derived data matches it, the total. */
export const STATE_SQL = 'SELECT database_id, data_version, derived_version = data_version AS derived_current, total_count FROM ghusers_state'
export interface StateRow { database_id: string, data_version: number, derived_current: boolean, total_count: number }

export interface DataState {
  databaseId: string
  dataVersion: number
  /** The two as the data version's token (ETags, answer keys), made once: every answer asks for it. */
  token: string
  derivedCurrent: boolean
  totalCount: number
}

export function stateOf (row: StateRow): DataState {
  return {
    databaseId: row.database_id,
    dataVersion: row.data_version,
    token: `${row.database_id}.${row.data_version}`,
    derivedCurrent: row.derived_current,
    totalCount: row.total_count
  }
}

/** Notified on every commit that changes users, so that every server learns the new data version at once. */
export const DATA_CHANGED_CHANNEL = 'ghusers_data_changed'

/**
 * Usernames fold as SQLite's NOCASE and LIKE fold them: ASCII letters only (lower() under the C
 * collation), so that both databases match alike; the trigram index holds this expression.
 */
export const FOLDED_USERNAME = 'ghusers_fold(u.username)'
/**
 * Each login folded, with its id, type and position in the username and type orders, stored in the
 * username order and indexed by trigram: a term's candidates are checked and sorted from its narrow
 * rows, which the username order gathers on few pages (a term is most often part of a name), rather
 * than from users' rows, spread over all of users' pages; and sorted by a number rather than by
 * text. Derived data: read only while it matches the data version.
 */
export const FOLDED_LOGINS_TABLE = 'ghusers_folded_logins'
/** The orders whose positions the folded logins keep (the id orders sort by the id itself). */
export const FOLDED_RANKED_ORDERS: OrderBy[] = ['username', '-username', 'type', '-type']
/** The folded logins' column holding a login's position in `orderBy` (one of FOLDED_RANKED_ORDERS). */
export function foldedRankColumn (orderBy: OrderBy): string {
  return positionsTable(orderBy).replace('ghusers_order_', 'rank_')
}

/** Folded usernames in order byte by byte, as SQLite's NOCASE compares them. */
const FOLDED_USERNAME_ORDER = `${FOLDED_USERNAME} COLLATE "C"`

const ORDER_TERMS: Record<OrderBy, string> = {
  id: 'u.id ASC',
  '-id': 'u.id DESC',
  username: `${FOLDED_USERNAME_ORDER} ASC, u.id ASC`,
  '-username': `${FOLDED_USERNAME_ORDER} DESC, u.id ASC`,
  type: 'u.type COLLATE "C" ASC, u.id ASC',
  '-type': 'u.type COLLATE "C" DESC, u.id ASC'
}

/** The ORDER BY terms of `orderBy` over `users u`, or of its exact reverse; ties break by id ascending, as in the SQLite file. */
export function postgresOrderSql (orderBy: OrderBy, reversed = false): string {
  return reversed ? ORDER_TERMS[orderBy].replace(/\b(?:ASC|DESC)\b/g, (direction) => direction === 'ASC' ? 'DESC' : 'ASC') : ORDER_TERMS[orderBy]
}

// Append only: a released migration is never edited, a change is a new entry.
const MIGRATIONS = [
  {
    name: '0001-users-state-derived-data',
    sql: `
      CREATE EXTENSION IF NOT EXISTS pg_trgm;
      CREATE FUNCTION ghusers_fold(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS $$ SELECT lower($1 COLLATE "C") $$;
      CREATE TABLE users (
        id         bigint PRIMARY KEY,
        username   text NOT NULL UNIQUE,
        avatar_url text NOT NULL,
        type       text NOT NULL,
        url        text NOT NULL
      );
      CREATE TYPE ${PROFILE_TYPE} AS (id bigint, username text, avatar_url text, type text, url text);
      CREATE INDEX users_username_folded ON users ((ghusers_fold(username) COLLATE "C"), id);
      CREATE INDEX users_type ON users ((type COLLATE "C"), id);
      CREATE INDEX users_username_trigrams ON users USING gin (ghusers_fold(username) gin_trgm_ops);
      -- One row: the database's id and write counter (its data version), and how far the derived data is.
      CREATE TABLE ghusers_state (
        only_row        boolean PRIMARY KEY DEFAULT true CHECK (only_row),
        database_id     text NOT NULL,
        data_version    bigint NOT NULL,
        derived_version bigint NOT NULL,
        total_count     bigint NOT NULL
      );
      INSERT INTO ghusers_state (database_id, data_version, derived_version, total_count)
        VALUES (md5(random()::text || clock_timestamp()::text), 1, 0, 0);
      CREATE TABLE ghusers_type_counts (type text PRIMARY KEY, count bigint NOT NULL);
      ${ORDER_BY_VALUES.map((orderBy) => `CREATE TABLE ${positionsTable(orderBy)} (rank bigint PRIMARY KEY, id bigint NOT NULL);`).join('\n')}
      -- Every statement that changes users bumps the version, whoever runs it; the seed sets
      -- ghusers.bulk for its transaction and bumps it once itself.
      CREATE FUNCTION ghusers_data_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF coalesce(current_setting('ghusers.bulk', true), '') <> 'on' THEN
          UPDATE ghusers_state SET data_version = data_version + 1;
          PERFORM pg_notify('${DATA_CHANGED_CHANNEL}', '');
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER users_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
        FOR EACH STATEMENT EXECUTE FUNCTION ghusers_data_changed();`
  },
  {
    // Positions within each type, and indexes in every order's exact sort for keyset pages. The
    // new tables are empty: the derived data is marked stale, and start-up (or the next seed) rebuilds it.
    name: '0002-type-positions-keyset-indexes',
    sql: `
      ${TYPE_POSITION_ORDERS.map((orderBy) =>
        `CREATE TABLE ${typePositionsTable(orderBy)} (type text NOT NULL, rank bigint NOT NULL, id bigint NOT NULL, PRIMARY KEY (type, rank));`).join('\n')}
      CREATE INDEX users_username_folded_desc ON users ((ghusers_fold(username) COLLATE "C") DESC, id);
      CREATE INDEX users_type_desc ON users ((type COLLATE "C") DESC, id);
      CREATE INDEX users_type_username ON users ((type COLLATE "C"), (ghusers_fold(username) COLLATE "C"), id);
      CREATE INDEX users_type_username_desc ON users ((type COLLATE "C"), (ghusers_fold(username) COLLATE "C") DESC, id);
      UPDATE ghusers_state SET derived_version = -1;`
  },
  {
    name: '0003-short-term-counts',
    sql: `
      CREATE TABLE ${TERM_COUNTS_TABLE} (term text NOT NULL, type text NOT NULL, count bigint NOT NULL, PRIMARY KEY (term, type));
      UPDATE ghusers_state SET derived_version = -1;`
  },
  {
    // Terms of three characters are counted too.
    name: '0004-three-character-counts',
    sql: 'UPDATE ghusers_state SET derived_version = -1;'
  },
  {
    // The rare short terms' ids, and the common ones' marks in every order (termData.ts).
    name: '0005-short-term-ids-and-marks',
    sql: `
      CREATE TABLE ${TERM_IDS_TABLE} (term text NOT NULL, id bigint NOT NULL, PRIMARY KEY (term, id));
      CREATE TABLE ${TERM_MARKS_TABLE} (scope text NOT NULL, order_by text NOT NULL, term text NOT NULL, block integer NOT NULL,
        matches_before bigint NOT NULL, after_key text, after_id bigint NOT NULL, PRIMARY KEY (scope, order_by, term, matches_before));
      UPDATE ghusers_state SET derived_version = -1;`
  },
  {
    name: '0006-folded-logins',
    sql: `
      CREATE TABLE ${FOLDED_LOGINS_TABLE} (id bigint NOT NULL, type text NOT NULL, folded text NOT NULL,
        ${FOLDED_RANKED_ORDERS.map((orderBy) => `${foldedRankColumn(orderBy)} bigint NOT NULL`).join(', ')});
      CREATE INDEX ${FOLDED_LOGINS_TABLE}_trigrams ON ${FOLDED_LOGINS_TABLE} USING gin (folded gin_trgm_ops);
      UPDATE ghusers_state SET derived_version = -1;`
  }
]

export const POSTGRES_SCHEMA_VERSION = MIGRATIONS.length

/** Blocks every other writer of users (and every other seed) until the commit; readers go on. */
export const LOCK_OUT_WRITERS = 'LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE'

// Any constant of ours: the lock that lets one process at a time migrate or rebuild.
const SCHEMA_LOCK = 804_231_977

function migrationsTableStorage (client: pg.ClientBase): UmzugStorage {
  return {
    async logMigration () {
      // Logged by the migration itself, in its own transaction (below).
    },
    async unlogMigration ({ name }) {
      await client.query('DELETE FROM ghusers_migrations WHERE name = $1', [name])
    },
    async executed () {
      const { rows } = await client.query<{ name: string }>('SELECT name FROM ghusers_migrations ORDER BY name')
      return rows.map((row) => row.name)
    }
  }
}

/** Runs `work` on one connection holding the schema lock: servers starting together migrate once. */
async function withSchemaLock<T> (pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  // Lost while checked out: the next query fails, rather than an 'error' event ending the process.
  client.on('error', () => {})
  try {
    await client.query('SELECT pg_advisory_lock($1)', [SCHEMA_LOCK])
    try {
      return await work(client)
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [SCHEMA_LOCK])
    }
  } finally {
    client.release()
  }
}

async function migrate (client: pg.ClientBase): Promise<string[]> {
  await client.query(`CREATE TABLE IF NOT EXISTS ghusers_migrations (
    name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`)
  const umzug = new Umzug({
    migrations: MIGRATIONS.map(({ name, sql }) => ({
      name,
      up: async () => {
        // DDL is transactional in PostgreSQL: a migration and its log entry commit together.
        await inTransaction(client, async () => {
          await client.query(sql)
          await client.query('INSERT INTO ghusers_migrations (name) VALUES ($1)', [name])
        })
      }
    })),
    storage: migrationsTableStorage(client),
    logger: undefined
  })
  return (await umzug.up()).map((migration) => migration.name)
}

/**
 * Refills positions, counts, the terms' lists and marks, the folded logins and the total from
 * users, and marks them as matching the data version.
 * Runs inside the caller's transaction. Writers wait (the lock) so that what is marked current is
 * what was read; readers never do: DELETE, not TRUNCATE, and they keep their snapshot until the commit.
 */
export async function rebuildPostgresDerivedData (client: pg.ClientBase): Promise<void> {
  await client.query(LOCK_OUT_WRITERS)
  await client.query(`DELETE FROM ${FOLDED_LOGINS_TABLE}`)
  const ranks = FOLDED_RANKED_ORDERS.map((orderBy) => ({ column: foldedRankColumn(orderBy), rank: `row_number() OVER (ORDER BY ${postgresOrderSql(orderBy)})` }))
  await client.query(`INSERT INTO ${FOLDED_LOGINS_TABLE} (id, type, folded, ${ranks.map(({ column }) => column).join(', ')})
    SELECT * FROM (SELECT u.id, u.type, ${FOLDED_USERNAME}, ${ranks.map(({ column, rank }) => `${rank} AS ${column}`).join(', ')} FROM users u) r
    ORDER BY ${foldedRankColumn('username')}`)
  // Its trigram index is chosen by its estimates: statistics of the new rows, before autovacuum's.
  await client.query(`ANALYZE ${FOLDED_LOGINS_TABLE}`)
  for (const orderBy of ORDER_BY_VALUES) {
    const table = positionsTable(orderBy)
    await client.query(`DELETE FROM ${table}`)
    // The username and type orders' positions are the folded logins' own, numbered once.
    const ranked = FOLDED_RANKED_ORDERS.includes(orderBy)
      ? `SELECT ${foldedRankColumn(orderBy)}, id FROM ${FOLDED_LOGINS_TABLE} ORDER BY 1`
      : `SELECT row_number() OVER (ORDER BY ${postgresOrderSql(orderBy)}), u.id FROM users u`
    await client.query(`INSERT INTO ${table} (rank, id) ${ranked}`)
  }
  for (const orderBy of TYPE_POSITION_ORDERS) {
    const table = typePositionsTable(orderBy)
    await client.query(`DELETE FROM ${table}`)
    await client.query(`INSERT INTO ${table} (type, rank, id)
      SELECT u.type, row_number() OVER (PARTITION BY u.type ORDER BY ${postgresOrderSql(orderBy)}), u.id FROM users u`)
  }
  // Each login's distinct short terms, folded as the search folds them, counted per type.
  await client.query(`DELETE FROM ${TERM_COUNTS_TABLE}`)
  await client.query(`INSERT INTO ${TERM_COUNTS_TABLE} (term, type, count)
    SELECT t.term, u.type, count(*) FROM users u, LATERAL (
      SELECT DISTINCT substr(ghusers_fold(u.username), i, n) AS term
      FROM generate_series(1, ${KEPT_TERM_LENGTH}) n, generate_series(1, char_length(u.username) - n + 1) i) t
    GROUP BY t.term, u.type`)
  await rebuildTermListsAndMarks(client, await rebuildLongTermCounts(client))
  await client.query(`
    DELETE FROM ghusers_type_counts;
    INSERT INTO ghusers_type_counts (type, count) SELECT type, count(*) FROM users GROUP BY type;
    UPDATE ghusers_state SET total_count = (SELECT count(*) FROM users), derived_version = data_version;`)
}

export interface PreparedPostgres {
  /** Names of the migrations applied. */
  applied: string[]
  /** Whether the derived data had to be rebuilt: another tool wrote users. */
  rebuilt: boolean
}

/** Brings the database up to our schema; the names of the migrations applied. */
export async function migratePostgres (pool: pg.Pool): Promise<string[]> {
  return await withSchemaLock(pool, migrate)
}

const LOCK_NOT_AVAILABLE = '55P03'
/** How long start-up waits for a writer (a seed, which rebuilds the derived data itself) before serving with scans. */
const REBUILD_LOCK_WAIT = '2s'

/**
 * Brings the database up to our schema and its derived data up to date, for the server. A seed
 * under way holds the writers' lock: the server then starts without rebuilding (pages are read
 * with scans until the seed's commit brings its own derived data).
 */
export async function preparePostgres (pool: pg.Pool): Promise<PreparedPostgres> {
  return await withSchemaLock(pool, async (client) => {
    const applied = await migrate(client)
    try {
      const rebuilt = await inTransaction(client, async () => {
        await client.query(`SET LOCAL lock_timeout = '${REBUILD_LOCK_WAIT}'`)
        await client.query(LOCK_OUT_WRITERS)
        const { rows } = await client.query<{ current: boolean }>('SELECT derived_version = data_version AS current FROM ghusers_state')
        if (rows[0]?.current === true) return false
        await rebuildPostgresDerivedData(client)
        return true
      })
      return { applied, rebuilt }
    } catch (error) {
      if ((error as { code?: string }).code === LOCK_NOT_AVAILABLE) return { applied, rebuilt: false }
      throw error
    }
  })
}

/** Runs `work` in a transaction on `client`: committed when it returns, rolled back when it throws. */
export async function inTransaction<T> (client: pg.ClientBase, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN')
  try {
    const result = await work()
    await client.query('COMMIT')
    return result
  } catch (error) {
    await client.query('ROLLBACK')
    throw error
  }
}
