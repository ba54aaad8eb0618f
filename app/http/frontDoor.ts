// The front door: the HTTP server's listener sends cached answers itself, before Fastify routes the request.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { performance } from 'node:perf_hooks'
import type { FastifyReply, FastifyRequest, FastifyServerFactory } from 'fastify'
import { LRUCache } from 'lru-cache'
import type { ProfilesCatalog } from '../store/profilesCatalog.js'
import { REQUEST_ID_HEADER, requestId } from './requestId.js'
import { MAX_REMEMBERED_URL_LENGTH, type Answer, type ResultCache } from './resultCache.js'
import type { SERVER_LIMITS } from './serverLimits.js'

declare module 'fastify' {
  interface FastifyInstance {
    frontDoor: FrontDoor
  }
}

export interface FrontDoorServices {
  profiles: ProfilesCatalog
  resultCache: ResultCache
  /** The request-duration series of one route, method and status (the metrics plugin's). */
  timer: (route: string, method: string, status: number) => (seconds: number) => void
  /** How many URLs it remembers at most. */
  maxUrls: number
}

/** A URL the door answers: the key and tag of the answer Fastify sent for it, and its route's timer. */
interface DoorUrl {
  key: string
  etag: string
  observe: (seconds: number) => void
}

type ServerLimits = Pick<typeof SERVER_LIMITS, 'connectionTimeout' | 'keepAliveTimeout' | 'requestTimeout' | 'headersTimeout' | 'maxHeaderSize'>

/**
 * Fastify's hooks never run for the door's answers: it is opened only while a cached answer asks
 * them for nothing per request but headers (app.ts decides), and it sends the headers Fastify
 * sent. A URL's answer goes out at the door once Fastify has sent that same answer, from the
 * result cache, for that URL; a conditional or HEAD request, an answer of an older data version,
 * anything the door cannot read and every request during shutdown are Fastify's.
 */
export class FrontDoor {
  /** Set by open(): until then, and when it is never opened, every request goes to Fastify. */
  private services: FrontDoorServices | undefined
  private urls: LRUCache<string, DoorUrl> | undefined
  /** Each kept answer as the door sends it: Fastify's headers and the body's bytes. */
  private readonly sendable = new WeakMap<Answer, Sendable>()
  private shuttingDown = false

  open (services: FrontDoorServices): void {
    this.services = services
    this.urls = new LRUCache({ max: services.maxUrls })
  }

  /** From the app's preClose: from now on each request is Fastify's (its 503). */
  close (): void {
    this.shuttingDown = true
  }

  get closing (): boolean {
    return this.shuttingDown
  }

  /**
   * Fastify's serverFactory: Node's HTTP server with `limits`, whose requests the door answers or
   * hands to Fastify. Fastify applies its own server options only to a server it makes, so any
   * further one (https, maxRequestsPerSocket…) belongs here.
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

  /** After Fastify has sent `kept` (the cached answer under `key`) on `reply`: the door sends it next time. */
  remember (request: FastifyRequest, reply: FastifyReply, key: string, kept: Answer): void {
    const { urls, services } = this
    const { url } = request
    if (!urls || !services || request.method !== 'GET' || url.length > MAX_REMEMBERED_URL_LENGTH) return
    if (!reply.sent || reply.statusCode !== 200 || urls.get(url)?.etag === kept.etag) return
    if (!this.sendable.has(kept)) {
      const sendable = sendableAnswer(reply, kept)
      if (!sendable) return
      this.sendable.set(kept, sendable)
    }
    urls.set(url, { key, etag: kept.etag, observe: services.timer(request.routeOptions.url ?? '', 'GET', 200) })
  }

  /** Sends the kept answer of this request's URL, when the door may; false when it is Fastify's to answer. */
  private answer (request: IncomingMessage, response: ServerResponse): boolean {
    const start = performance.now()
    const { services, urls } = this
    if (!services || !urls || this.shuttingDown || request.method !== 'GET' || request.headers['if-none-match'] !== undefined) return false
    const door = urls.get(request.url ?? '')
    if (!door) return false
    let kept: Answer | undefined
    try {
      kept = services.resultCache.get(door.key, services.profiles.dataVersion(), false)
    } catch {
      return false // the file cannot be read: Fastify's error handling answers
    }
    const sendable = kept?.etag === door.etag ? this.sendable.get(kept) : undefined
    if (!sendable) return false
    // writeHead reads the list at once: its last value, the request id, is this request's.
    const { head, body } = sendable
    head[head.length - 1] = requestId(request)
    response.writeHead(200, head)
    response.end(body)
    door.observe((performance.now() - start) / 1000)
    return true
  }
}

/**
 * A kept answer as the door sends it, made once: the body as bytes, and the headers Fastify sent
 * as one flat list of names and values (Node's writeHead takes one as it is), ending with the
 * request id's slot. Undefined when a header was repeated (left to Fastify).
 */
interface Sendable { head: string[], body: Buffer }

function sendableAnswer (reply: FastifyReply, kept: Answer): Sendable | undefined {
  const body = Buffer.from(kept.body)
  const head: string[] = []
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (name === REQUEST_ID_HEADER || name === 'content-length' || value === undefined) continue
    if (Array.isArray(value)) return undefined
    head.push(name, String(value))
  }
  head.push('content-length', String(body.length), REQUEST_ID_HEADER, '')
  return { head, body }
}
