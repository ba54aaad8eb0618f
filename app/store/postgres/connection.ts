// Connections to PostgreSQL (node-postgres): a pool for the server's reads and the seed's writes.
import pg from 'pg'

const INT8_OID = 20

/** Ids and counts are bigint; within 2^53 (every GitHub id, every count) they are exact as numbers. */
function typeParser (oid: number, format?: 'text' | 'binary') {
  if (oid === INT8_OID) return Number
  return format === undefined ? pg.types.getTypeParser(oid) : pg.types.getTypeParser(oid, format)
}

/**
 * Whether `error` says PostgreSQL was not reached (refused, timed out, dropped, shutting down)
 * rather than that it refused a statement: errors without a SQLSTATE, and classes 08 and 57P.
 */
export function isUnreachable (error: unknown): boolean {
  const { code } = error as { code?: unknown }
  return typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code) || code.startsWith('08') || code.startsWith('57P')
}

export interface PostgresPoolOptions {
  /** Connections at most (node-postgres' default is 10). */
  max?: number
  /** Called with an idle connection's error (the server restarted, the network dropped): not thrown. */
  onIdleError?: (error: Error) => void
}

/** The client settings of every connection to `url`, for a pool or a single listening client. */
export function connectionConfig (url: string): pg.ClientConfig {
  return {
    connectionString: url,
    types: { getTypeParser: typeParser as pg.CustomTypesConfig['getTypeParser'] },
    // A database that does not answer fails a request in seconds, not when TCP gives up.
    connectionTimeoutMillis: 5_000,
    query_timeout: 30_000
  }
}

export function openPostgresPool (url: string, { max = 10, onIdleError }: PostgresPoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({ ...connectionConfig(url), max })
  // Without a listener, an idle connection's error would end the process.
  pool.on('error', (error) => onIdleError?.(error))
  return pool
}
