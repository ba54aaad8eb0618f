// Turning errors into responses: schema messages that name the parameter, statuses clients may see.
import { STATUS_CODES } from 'node:http'
import type { FastifySchemaValidationError } from 'fastify'
import type { SchemaErrorDataVar } from 'fastify/types/schema.js'
import { PATTERN_WORDS } from '../schemas/profiles.js'

const LOCATION: Partial<Record<SchemaErrorDataVar, string>> = {
  querystring: 'Query parameter',
  params: 'Path parameter'
}

/** Fastify's schemaErrorFormatter: "Query parameter 'pagination' must be <= 100". */
export function schemaErrorMessage (errors: FastifySchemaValidationError[], dataVar: SchemaErrorDataVar): Error {
  const [error] = errors
  if (!error) return new Error(`Invalid ${dataVar}`)
  const params = error.params as { missingProperty?: string, additionalProperty?: string, allowedValues?: unknown[], pattern?: string }
  const name = error.instancePath.replace(/^\//, '') || params.missingProperty || params.additionalProperty || ''
  const detail = error.keyword === 'enum' && params.allowedValues
    ? `must be one of ${params.allowedValues.join(', ')}`
    : PATTERN_WORDS[params.pattern ?? ''] ?? error.message ?? 'is invalid'
  return new Error(`${LOCATION[dataVar] ?? dataVar} '${name}' ${detail}`)
}

export interface PublicError {
  statusCode: number
  error: string
  message: string
}

/**
 * The status and message a client may see: 4xx as they are; a 5xx only when made to be shown
 * (http-errors' `expose`, as the 503 of a database out of reach is); anything else a bare 500.
 */
export function publicError (error: unknown): PublicError {
  const { statusCode: status, expose } = error as { statusCode?: unknown, expose?: unknown }
  const shown = typeof status === 'number' && status >= 400 && status < 600 && (status < 500 || expose === true)
  const statusCode = shown ? status : 500
  return {
    statusCode,
    error: STATUS_CODES[statusCode] ?? 'Error',
    message: statusCode === 500 ? 'Something went wrong on our side; please try again later.' : (error as Error).message
  }
}
