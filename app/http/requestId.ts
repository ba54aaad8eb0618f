// Each request's id: the one a proxy or client sent in X-Request-Id when it is a sane token, so
// that one id follows a request through every hop, or else a new UUID. Sent back on every answer.
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

export const REQUEST_ID_HEADER = 'x-request-id'
const CLIENT_REQUEST_ID = /^[\w.:-]{1,128}$/

export function requestId (request: IncomingMessage): string {
  const sent = request.headers[REQUEST_ID_HEADER]
  return typeof sent === 'string' && CLIENT_REQUEST_ID.test(sent) ? sent : randomUUID()
}
