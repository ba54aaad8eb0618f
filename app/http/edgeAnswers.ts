// Answers that Fastify would otherwise write itself, without the headers every answer of ours
// carries: to a request that is not valid HTTP (Node's clientError), and to one that arrives
// while the server is shutting down.
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import { SECURITY_HEADERS } from '../plugins/external/helmet.js'
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

/** What to answer a request Node could not parse, and the path of its request line when Node read that far. */
export function clientErrorOf (error: ClientError & { rawPacket?: Buffer }): { statusCode: number, message: string, path: string | undefined } {
  const requestLine = error.rawPacket?.toString('latin1').split('\r\n', 1)[0]
  return { ...statusOf(error), path: requestLine?.split(' ')[1] }
}

/** Whether a path is one of the HTML pages', whose errors are pages too. */
export function isPagePath (path: string): boolean {
  return path === '/' || path.startsWith('/?') || /^\/users(?:[/?]|$)/.test(path)
}

/**
 * Writes a whole answer with the headers every answer of ours carries on a socket Fastify never
 * handed to a route, then closes it: Node cannot parse what follows a request it could not parse.
 */
export function writeOnSocket (socket: Socket, statusCode: number, contentType: string, body: string): void {
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode]!}\r\n${HEADER_LINES}content-type: ${contentType}\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`)
  }
  socket.destroy()
}

/** The JSON error of every other answer, for a client error. */
export function clientErrorJson (statusCode: number, message: string): string {
  return JSON.stringify({ statusCode, error: STATUS_CODES[statusCode]!, message } satisfies PublicError)
}

/** The body of the 503 a request gets once the server is shutting down (the app's onRequest hook sends it; Fastify's own would carry none of our headers). */
export const SHUTTING_DOWN: Readonly<PublicError> = { statusCode: 503, error: 'Service Unavailable', message: 'The server is shutting down: try again' }
