// Whether PostgreSQL can be served from, for GET /health: reached, migrated, read and counted.
import type pg from 'pg'
import type { DatabaseHealth } from '../databaseHealth.js'
import { isUnreachable } from './connection.js'
import { POSTGRES_SCHEMA_VERSION, STATE_SQL, stateOf, type StateRow } from './schema.js'

const UNDEFINED_TABLE = '42P01'

interface HealthRow extends StateRow { schema_version: number }

export async function checkPostgres (pool: pg.Pool): Promise<DatabaseHealth> {
  try {
    const { rows: [row] } = await pool.query<HealthRow>(
      `SELECT s.*, (SELECT count(*) FROM ghusers_migrations) AS schema_version FROM (${STATE_SQL}) s`)
    if (!row) return { state: 'not migrated', reason: 'The database has no ghusers_state row' }
    if (row.schema_version < POSTGRES_SCHEMA_VERSION) {
      return { state: 'not migrated', reason: `The database is at schema version ${row.schema_version}; the service needs ${POSTGRES_SCHEMA_VERSION}` }
    }
    const state = stateOf(row)
    const users = state.derivedCurrent
      ? state.totalCount
      : (await pool.query<{ count: number }>('SELECT count(*) FROM users')).rows[0]!.count
    return { state: 'ok', users, dataVersion: state.token, schemaVersion: row.schema_version }
  } catch (error) {
    const { code, message } = error as { code?: string, message?: string }
    if (code === UNDEFINED_TABLE) return { state: 'not migrated', reason: `The database lacks the service's tables: ${message}` }
    if (isUnreachable(error)) {
      return { state: 'unreachable', reason: `PostgreSQL cannot be reached: ${message ?? String(error)}` }
    }
    return { state: 'unreadable', reason: `PostgreSQL cannot be read: ${message}` }
  }
}
