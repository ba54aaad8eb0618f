// The front door: a GET for a URL whose answer the result cache holds is answered by the HTTP
// server's request listener itself, before Fastify makes its request and reply, runs the hooks
// and routes the URL (a third of such an answer's cost: bench/README.md, sixth round). Whatever
// the door does not answer, Fastify does. It answers only when the app does no work of its own
// per request for such an answer: it is opened with the result cache on, the rate limit off and
// no request log lines at the logging level; a conditional or HEAD request, a URL not answered
// before, an answer of an older data version and any request during shutdown go to Fastify.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { performance } from 'node:perf_hooks'
import type { FastifyReply, FastifyRequest, FastifyServerFactory } from 'fastify'
import type { ProfilesCatalog } from '../store/profilesCatalog.js'
import { REQUEST_ID_HEADER, requestId } from './requestId.js'
import type { Answer, ResultCache } from './resultCache.js'
import type { SERVER_LIMITS } from './serverLimits.js'

declare module 'fastify' {
  interface FastifyInstance {
    frontDoor: FrontDoor
  }
}

/** How the door sends a kept answer: with what Fastify sent it with, and timed into the same series. */
export interface DoorAnswer {
  /** Every header of Fastify's answer but the request id (the door makes one per request) and Content-Length. */
  headers: Readonly<Record<string, string>>
  observe: (seconds: number) => void
}

export interface FrontDoorServices {
  profiles: ProfilesCatalog
  resultCache: ResultCache
  /** The request-duration series of one route, method and status (the metrics plugin's). */
  timer: (route: string, method: string, status: number) => (seconds: number) => void
}

type ServerLimits = Pick<typeof SERVER_LIMITS, 'connectionTimeout' | 'keepAliveTimeout' | 'requestTimeout' | 'headersTimeout' | 'maxHeaderSize'>

export class FrontDoor {
  /** Set by open(): until then, and when it is never opened, every request goes to Fastify. */
  private services: FrontDoorServices | undefined
  private closing = false

  /** Opens the door: kept answers sent through Fastify from now on are sent by the door next time. */
  open (services: FrontDoorServices): void {
    this.services = services
  }

  /** From the app's preClose: each request from now on is Fastify's (its 503). */
  close (): void {
    this.closing = true
  }

  /**
   * Fastify's serverFactory: Node's HTTP server with `limits` (Fastify applies its own timeout
   * options only to a server it makes), whose requests the door answers or hands to Fastify.
   */
  serverFactory (limits: ServerLimits): FastifyServerFactory {
    return (handler) => {
      const { headersTimeout, maxHeaderSize, keepAliveTimeout, requestTimeout, connectionTimeout } = limits
      const server: Server = createServer({ headersTimeout, maxHeaderSize }, (request, response) => {
        if (!this.answer(request, response)) handler(request, response)
      })
      server.keepAliveTimeout = keepAliveTimeout
      server.requestTimeout = requestTimeout
      server.setTimeout(connectionTimeout)
      return server
    }
  }

  /**
   * Prepares the door to send `kept` (the cached answer Fastify is about to send on `reply`) with
   * the headers the hooks have set on the reply, as its own are added to them: every answer of a
   * URL remembered with it sends exactly what Fastify sends.
   */
  prepare (request: FastifyRequest, reply: FastifyReply, kept: Answer): void {
    if (!this.services || kept.door || request.method !== 'GET') return
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (typeof value === 'number') headers[name] = String(value)
      else if (typeof value === 'string') headers[name] = value
      else if (value !== undefined) return // a repeated header: left to Fastify
    }
    delete headers[REQUEST_ID_HEADER]
    Object.assign(headers, kept.headers)
    kept.door = { headers: Object.freeze(headers), observe: this.services.timer(request.routeOptions.url ?? '', 'GET', 200) }
  }

  /** Sends the kept answer of this request's URL, when the door may; false when it is Fastify's to answer. */
  private answer (request: IncomingMessage, response: ServerResponse): boolean {
    const start = performance.now()
    const { services } = this
    if (!services || this.closing || request.method !== 'GET' || request.headers['if-none-match'] !== undefined) return false
    const { profiles, resultCache } = services
    const key = resultCache.keyForUrl(request.url ?? '')
    const kept = key === undefined ? undefined : resultCache.get(key, profiles.dataVersion(), false)
    if (!kept?.door) return false
    const { door, body } = kept
    response.writeHead(200, Object.assign({}, door.headers, {
      [REQUEST_ID_HEADER]: requestId(request),
      'content-length': String(Buffer.byteLength(body))
    }))
    response.end(body)
    door.observe((performance.now() - start) / 1000)
    return true
  }
}
