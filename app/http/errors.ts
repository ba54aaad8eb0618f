// Turning errors into responses: schema messages that name the parameter, statuses clients may see.
import { STATUS_CODES } from 'node:http'
import type { FastifySchemaValidationError } from 'fastify'
import type { SchemaErrorDataVar } from 'fastify/types/schema.js'

const LOCATION: Partial<Record<SchemaErrorDataVar, string>> = {
  querystring: 'Query parameter',
  params: 'Path parameter'
}

/** Fastify's schemaErrorFormatter: "Query parameter 'pagination' must be <= 100". */
export function schemaErrorMessage (errors: FastifySchemaValidationError[], dataVar: SchemaErrorDataVar): Error {
  const [error] = errors
  if (!error) return new Error(`Invalid ${dataVar}`)
  const params = error.params as { missingProperty?: string, additionalProperty?: string, allowedValues?: unknown[] }
  const name = error.instancePath.replace(/^\//, '') || params.missingProperty || params.additionalProperty || ''
  const detail = error.keyword === 'enum' && params.allowedValues
    ? `must be one of ${params.allowedValues.join(', ')}`
    : error.message ?? 'is invalid'
  return new Error(`${LOCATION[dataVar] ?? dataVar} '${name}' ${detail}`)
}

export interface PublicError {
  statusCode: number
  error: string
  message: string
}

/** The database cannot be reached (PostgreSQL restarting, the network away): a 503 to retry, not a 500. */
export class DatabaseUnavailableError extends Error {
  readonly statusCode = 503
}

/** The status and message a client may see: 4xx as they are, an unreachable database a 503, anything else a bare 500. */
export function publicError (error: unknown): PublicError {
  if (error instanceof DatabaseUnavailableError) return { statusCode: 503, error: 'Service Unavailable', message: error.message }
  const status = (error as { statusCode?: unknown }).statusCode
  const statusCode = typeof status === 'number' && status >= 400 && status < 500 ? status : 500
  return {
    statusCode,
    error: STATUS_CODES[statusCode] ?? 'Error',
    message: statusCode === 500 ? 'Something went wrong on our side; please try again later.' : (error as Error).message
  }
}
