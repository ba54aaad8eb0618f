// Exports from PostgreSQL: a REPEATABLE READ transaction of their own (one snapshot, whatever a seed
// commits meanwhile) with a cursor over the ordered rows, fetched a bounded chunk per step.
import type pg from 'pg'
import type { Profile } from '../../schemas/profiles.js'
import { EXPORT_CHUNK_ROWS, type ExportQuery, type ProfilesExport, type ProfilesExportSource } from '../profilesExportSource.js'
import { foldedContainsPattern } from './pageSql.js'
import { readPostgresFacets } from './profilesFacets.js'
import { FOLDED_USERNAME, postgresOrderSql } from './schema.js'
import { unavailableOr } from './serviceUnavailable.js'

const CURSOR = 'ghusers_export'

/** The cursor's query and values: the five columns of the matching rows, in the order asked. */
function rowsQuery (query: ExportQuery): { text: string, values: unknown[] } {
  const where: string[] = []
  const values: unknown[] = []
  if (query.username !== undefined) {
    values.push(foldedContainsPattern(query.username))
    where.push(`${FOLDED_USERNAME} LIKE $${values.length} ESCAPE '\\'`)
  }
  if (query.id !== undefined) {
    values.push(query.id)
    where.push(`u.id = $${values.length}`)
  }
  if (query.type !== undefined) {
    values.push(query.type)
    where.push(`u.type = $${values.length}`)
  }
  const text = 'SELECT u.id, u.username, u.avatar_url, u.type, u.url FROM users u ' +
    `${where.length ? `WHERE ${where.join(' AND ')} ` : ''}ORDER BY ${postgresOrderSql(query.order_by)}`
  return { text, values }
}

async function openPostgresExport (pool: pg.Pool, query: ExportQuery): Promise<ProfilesExport> {
  let client: pg.PoolClient
  try {
    client = await pool.connect()
  } catch (error) {
    throw unavailableOr(error)
  }
  let open = true
  const close = async (error?: unknown) => {
    if (!open) return
    open = false
    // Read only: a rollback ends it as a commit would. A client that failed is not given back to the pool.
    if (error === undefined) await client.query('ROLLBACK').then(() => client.release(), (failed: Error) => client.release(failed))
    else client.release(error instanceof Error ? error : true)
  }
  let counted: { dataVersion: string, total: number }
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
    counted = await readPostgresFacets(client, query)
    const { text, values } = rowsQuery(query)
    await client.query(`DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${text}`, values)
  } catch (error) {
    await close(error)
    throw unavailableOr(error)
  }
  let done = false
  return {
    dataVersion: counted.dataVersion,
    total: counted.total,
    next: async () => {
      if (done || !open) return undefined
      try {
        const { rows } = await client.query<Profile>(`FETCH ${EXPORT_CHUNK_ROWS} FROM ${CURSOR}`)
        if (rows.length < EXPORT_CHUNK_ROWS) done = true
        return rows
      } catch (error) {
        await close(error)
        throw unavailableOr(error)
      }
    },
    close: () => close()
  }
}

export class PostgresProfilesExports implements ProfilesExportSource {
  constructor (private readonly pool: pg.Pool) {}

  open (query: ExportQuery): Promise<ProfilesExport> {
    return openPostgresExport(this.pool, query)
  }
}
