// Exports from the SQLite file: a read-only connection of their own holding one read transaction
// (one snapshot, whatever a seed commits meanwhile), read a bounded chunk per step.
import type { Database, Statement } from 'better-sqlite3'
import type { Profile } from '../../schemas/profiles.js'
import { orderSql, positionsTable } from '../derivedData.js'
import { EXPORT_CHUNK_ROWS, type ExportQuery, type ProfilesExport, type ProfilesExportSource } from '../profilesExportSource.js'
import type { FilterName } from '../profilesPlan.js'
import { openReadOnlyDatabase } from './database.js'
import { FILTER_SQL, filterValues, META_COLUMNS } from './pageSql.js'
import { ProfilesFacets } from './profilesFacets.js'

interface SnapshotMeta { file_id: string, data_version: number, derived_version: number, total_count: number }

// Text columns cast, so a value another tool stored as a number or blob still comes out a string.
const COLUMNS = 'u.id AS id, CAST(u.username AS TEXT) AS username, CAST(u.avatar_url AS TEXT) AS avatar_url, ' +
  'CAST(u.type AS TEXT) AS type, CAST(u.url AS TEXT) AS url'

/** The pages' filters over `users u`, for those of `names` the query sets. */
function filtersSql (query: ExportQuery, names: FilterName[]): string[] {
  return names.filter((name) => query[name] !== undefined).map((name) => FILTER_SQL[name])
}

/**
 * Steps through the kept positions of the order: each step examines the next EXPORT_CHUNK_ROWS
 * positions and keeps the rows that match, so a rare filter costs a bounded step too.
 */
function positionSteps (db: Database, query: ExportQuery, rows: number): () => Profile[] | undefined {
  // Used only without an id (openFileExport).
  const where = filtersSql(query, ['username', 'type'])
  const statement = db.prepare(`SELECT ${COLUMNS} FROM (SELECT rank, id FROM ${positionsTable(query.order_by)} ` +
    `WHERE rank > @after ORDER BY rank LIMIT ${EXPORT_CHUNK_ROWS}) p JOIN users u ON u.id = p.id ` +
    `${where.length ? `WHERE ${where.join(' AND ')} ` : ''}ORDER BY p.rank`)
  const params = filterValues(query)
  let after = 0
  return () => {
    if (after >= rows) return undefined
    const chunk = statement.all({ ...params, after }) as Profile[]
    after += EXPORT_CHUNK_ROWS
    return chunk
  }
}

/**
 * Without current positions (another tool wrote the file since the last seed or start-up): one
 * statement over the users indexes, its rows taken a chunk at a time.
 */
function scanSteps (db: Database, query: ExportQuery): { next: () => Profile[] | undefined, stop: () => void } {
  const where = filtersSql(query, ['id', 'username', 'type'])
  const statement: Statement = db.prepare(`SELECT ${COLUMNS} FROM users u ` +
    `${where.length ? `WHERE ${where.join(' AND ')} ` : ''}ORDER BY ${orderSql(query.order_by, 'u')}`)
  const rows = statement.iterate(filterValues(query)) as IterableIterator<Profile>
  let done = false
  return {
    next: () => {
      if (done) return undefined
      const chunk: Profile[] = []
      for (let result = rows.next(); ; result = rows.next()) {
        if (result.done) {
          done = true
          break
        }
        chunk.push(result.value)
        if (chunk.length === EXPORT_CHUNK_ROWS) break
      }
      return chunk
    },
    stop: () => { rows.return?.() }
  }
}

/** Opens one export of the file at `databasePath`: its snapshot, count and steps. */
function openFileExport (databasePath: string, query: ExportQuery): ProfilesExport {
  const db = openReadOnlyDatabase(databasePath)
  try {
    // Deferred: the snapshot is taken by the first read and held until the connection closes.
    db.exec('BEGIN')
    const meta = db.prepare(`SELECT ${META_COLUMNS}`)
      .get() as SnapshotMeta
    const { dataVersion, total } = new ProfilesFacets(db).read(query)
    const byPosition = query.id === undefined && meta.derived_version === meta.data_version
    const steps = byPosition ? { next: positionSteps(db, query, meta.total_count), stop: () => {} } : scanSteps(db, query)
    let open = true
    return {
      dataVersion,
      total,
      next: () => open ? steps.next() : undefined,
      close: () => {
        if (!open) return
        open = false
        steps.stop()
        db.close()
      }
    }
  } catch (error) {
    db.close()
    throw error
  }
}

export class FileProfilesExports implements ProfilesExportSource {
  constructor (private readonly databasePath: string) {}

  async open (query: ExportQuery): Promise<ProfilesExport> {
    return openFileExport(this.databasePath, query)
  }
}
