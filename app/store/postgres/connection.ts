// Connections to PostgreSQL (node-postgres): a pool for the server's reads and the seed's writes.
import pg from 'pg'

const INT8_OID = 20

/** Ids and counts are bigint; within 2^53 (every GitHub id, every count) they are exact as numbers. */
function typeParser (oid: number, format?: 'text' | 'binary') {
  if (oid === INT8_OID) return Number
  return format === undefined ? pg.types.getTypeParser(oid) : pg.types.getTypeParser(oid, format)
}

/**
 * Whether `error` says PostgreSQL could not serve us just now rather than that it refused a
 * statement: no answer from the server at all (refused, timed out, dropped), or a server error
 * of class 08 (connection), 53 (too many connections, out of resources), 57 (shutting down,
 * statement timeout) or a serialization failure, all worth trying again.
 */
export function isUnreachable (error: unknown): boolean {
  if (!(error instanceof pg.DatabaseError)) return true
  const code = error.code ?? ''
  return ['08', '53', '57'].includes(code.slice(0, 2)) || code === '40001'
}

export interface PostgresPoolOptions {
  /** Connections at most (node-postgres' default is 10). */
  max?: number
  /** The server cancels a statement that runs longer (none by default: a seed's may take minutes). */
  statementTimeoutMs?: number
  /** Called with an idle connection's error (the server restarted, the network dropped): not thrown. */
  onIdleError?: (error: Error) => void
  /**
   * Settings for serving pages, set on each new connection: no parallel workers (a page's read is
   * small; starting workers delays it by tens of milliseconds and takes cores from the other
   * requests), and random reads priced as the cached pages they are (PostgreSQL's default prices a
   * disk seek, and would read a whole range and sort it rather than walk an index in the order).
   */
  serving?: boolean
}

const SERVING_SETTINGS = 'SET max_parallel_workers_per_gather = 0; SET random_page_cost = 1.1'

/** The client settings of every connection to `url`, for a pool or a single listening client. */
export function connectionConfig (url: string): pg.ClientConfig {
  return {
    connectionString: url,
    types: { getTypeParser: typeParser as pg.CustomTypesConfig['getTypeParser'] },
    // A database that does not answer fails a request in seconds, not when TCP gives up.
    connectionTimeoutMillis: 5_000
  }
}

export function openPostgresPool (url: string, { max = 10, statementTimeoutMs, onIdleError, serving = false }: PostgresPoolOptions = {}): pg.Pool {
  // Set before the pool hands a new connection out (a failure fails that checkout); the URL's and
  // PGOPTIONS' own options stay as they are.
  const onConnect = serving ? async (client: pg.ClientBase) => { await client.query(SERVING_SETTINGS) } : undefined
  const pool = new pg.Pool({ ...connectionConfig(url), max, statement_timeout: statementTimeoutMs, onConnect })
  // Without a listener, an idle connection's error would end the process.
  pool.on('error', (error) => onIdleError?.(error))
  return pool
}
