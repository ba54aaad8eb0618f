// Answers that Fastify would otherwise write itself, without the headers every answer of ours
// carries: to a request that is not valid HTTP (Node's clientError), and to one that arrives
// while the server is shutting down.
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { SECURITY_HEADERS } from '../plugins/external/securityHeaders.js'
import type { PublicError } from './errors.js'
import { SERVER_LIMITS } from './serverLimits.js'

/** The Cache-Control of every answer that no cache may keep: errors and the operational routes. */
export const NOT_STORED = 'no-store'

/** Node's error for a request it could not parse, or that took too long. */
export type ClientError = Error & { code?: string }

/** Status and message for each kind of client error (Fastify's statuses, our error body). */
function statusOf (error: ClientError): { statusCode: number, message: string } {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return { statusCode: 408, message: 'The request did not arrive in time' }
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    return { statusCode: 431, message: `The request line and headers are over ${SERVER_LIMITS.maxHeaderSize} bytes` }
  }
  return { statusCode: 400, message: 'The request is not valid HTTP/1.1' }
}

const HEADER_LINES = Object.entries({ ...SECURITY_HEADERS, 'cache-control': NOT_STORED })
  .map(([name, value]) => `${name}: ${value}\r\n`).join('')

/**
 * Fastify's clientErrorHandler: the JSON error of every other answer, with the security headers
 * and Cache-Control no-store, written on the socket, which is then closed: Node cannot parse
 * what follows a request it could not parse.
 */
export function clientErrorAnswerer (this: FastifyInstance, error: ClientError, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const { statusCode, message } = statusOf(error)
  const status = STATUS_CODES[statusCode]!
  const body = JSON.stringify({ statusCode, error: status, message } satisfies PublicError)
  this.log.debug({ err: error }, `client error: ${statusCode}`)
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${statusCode} ${status}\r\n${HEADER_LINES}content-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`)
  }
  socket.destroy(error)
}

/** The body of the 503 a request gets once the server is shutting down (the app's onRequest hook sends it; Fastify's own would carry none of our headers). */
export const SHUTTING_DOWN: Readonly<PublicError> = { statusCode: 503, error: 'Service Unavailable', message: 'The server is shutting down: try again' }
