// Whether PostgreSQL can be served from, for GET /health: reached, migrated, read and counted.
import type pg from 'pg'
import type { DatabaseHealth } from '../databaseHealth.js'
import { isUnreachable } from './connection.js'
import { POSTGRES_SCHEMA_VERSION } from './schema.js'

const UNDEFINED_TABLE = '42P01'

interface HealthRow {
  database_id: string
  data_version: number
  derived_current: boolean
  total_count: number
  schema_version: number
}

export async function checkPostgres (pool: pg.Pool): Promise<DatabaseHealth> {
  try {
    const { rows: [row] } = await pool.query<HealthRow>(`SELECT database_id, data_version,
      derived_version = data_version AS derived_current, total_count,
      (SELECT count(*) FROM ghusers_migrations) AS schema_version FROM ghusers_state`)
    if (!row) return { state: 'not migrated', reason: 'The database has no ghusers_state row' }
    if (row.schema_version < POSTGRES_SCHEMA_VERSION) {
      return { state: 'not migrated', reason: `The database is at schema version ${row.schema_version}; the service needs ${POSTGRES_SCHEMA_VERSION}` }
    }
    const users = row.derived_current
      ? row.total_count
      : (await pool.query<{ count: number }>('SELECT count(*) FROM users')).rows[0]!.count
    return { state: 'ok', users, dataVersion: `${row.database_id}.${row.data_version}`, schemaVersion: row.schema_version }
  } catch (error) {
    const { code, message } = error as { code?: string, message?: string }
    if (code === UNDEFINED_TABLE) return { state: 'not migrated', reason: `The database lacks the service's tables: ${message}` }
    if (isUnreachable(error)) {
      return { state: 'unreachable', reason: `PostgreSQL cannot be reached: ${message ?? String(error)}` }
    }
    return { state: 'unreadable', reason: `PostgreSQL cannot be read: ${message}` }
  }
}
