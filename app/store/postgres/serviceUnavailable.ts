// PostgreSQL out of reach as the 503 a client sees, for the facets and export reads.
import createError from 'http-errors'
import { isUnreachable } from './connection.js'

/** `error` as a 503 with a message for the client when PostgreSQL could not serve just now; else as it is. */
export function unavailableOr (error: unknown): unknown {
  if (!isUnreachable(error)) return error
  return createError(503, 'The database cannot be reached just now; please try again shortly', { expose: true, cause: error })
}
