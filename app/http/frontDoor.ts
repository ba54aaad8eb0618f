// The front door: the HTTP server's listener answers URLs Fastify has answered before, without routing them again.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { performance } from 'node:perf_hooks'
import type { FastifyReply, FastifyRequest, FastifyServerFactory } from 'fastify'
import { LRUCache } from 'lru-cache'
import type { ProfilesCatalog } from '../store/profilesCatalog.js'
import { type MaybePromise, whenReady } from '../store/profilesSource.js'
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

/** Reads a URL's answer again: the route's own read for that URL's checked query, at the data's current version. */
export type Rebuild = () => MaybePromise<Answer>

/** A URL the door answers. */
interface DoorUrl {
  /** The key of its answers in the result cache. */
  key: string
  /** The headers Fastify sent with its answer but the answer's own, the length and the request id, as a flat list. */
  head: string[]
  /** Absent when the answer can only come from the result cache. */
  rebuild: Rebuild | undefined
  /** Its route's timer. */
  observe: (seconds: number) => void
}

type ServerLimits = Pick<typeof SERVER_LIMITS, 'connectionTimeout' | 'keepAliveTimeout' | 'requestTimeout' | 'headersTimeout' | 'maxHeaderSize'>

/**
 * Fastify's hooks never run for the door's answers: it is opened only while an answer asks them
 * for nothing per request but constant headers (app.ts decides), and it sends the headers Fastify
 * sent. Once Fastify has sent a URL's answer (its query checked, its route found), the door
 * answers that URL: with the answer kept in the result cache when it is current, or else by
 * reading it again with the route's own read. Conditional and HEAD requests, an answer only
 * Redis may hold, a read that fails (a page past the end, a database that is down) and every
 * request during shutdown are Fastify's.
 */
export class FrontDoor {
  /** Set by open(): until then, and when it is never opened, every request goes to Fastify. */
  private services: FrontDoorServices | undefined
  private urls: LRUCache<string, DoorUrl> | undefined
  /** Each kept answer as the door sends it: the headers as one list, the body's bytes. */
  private readonly sendable = new WeakMap<Answer, Sendable>()
  private readonly ends = new EndsOfTurn()
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
        if (!this.answer(request, response, handler)) handler(request, response)
      })
      server.keepAliveTimeout = keepAliveTimeout
      server.requestTimeout = requestTimeout
      server.setTimeout(connectionTimeout)
      return server
    }
  }

  /**
   * After Fastify has sent `answer` (under `key`) on `reply`: the door answers this URL from now
   * on, from the result cache, or with `rebuild` when there is one. Two URLs with one key (the
   * same query written two ways) are one route's, so they get the same headers.
   */
  remember (request: FastifyRequest, reply: FastifyReply, key: string, answer: Answer, rebuild?: Rebuild): void {
    const { urls, services } = this
    const { url } = request
    if (!urls || !services || request.method !== 'GET' || url.length > MAX_REMEMBERED_URL_LENGTH) return
    if (!reply.sent || reply.statusCode !== 200 || (!rebuild && !services.resultCache.enabled)) return
    const known = urls.get(url)
    if (known?.key === key && (known.rebuild || !rebuild)) return
    const head = fixedHeaders(reply, answer)
    if (!head) return
    urls.set(url, { key, head, rebuild, observe: services.timer(request.routeOptions.url ?? '', 'GET', 200) })
  }

  /** Answers the request when the door may (now or once its read is done); false when it is Fastify's. */
  private answer (request: IncomingMessage, response: ServerResponse, fastify: (request: IncomingMessage, response: ServerResponse) => void): boolean {
    const start = performance.now()
    const { services, urls } = this
    if (!services || !urls || this.shuttingDown || request.method !== 'GET' || request.headers['if-none-match'] !== undefined) return false
    const url = request.url ?? ''
    const door = urls.get(url)
    if (!door) return false
    let answer: MaybePromise<Answer> | undefined
    try {
      answer = currentAnswer(door, services)
    } catch {
      // A page past the end, a file it cannot read…: Fastify's error handling answers, this time
      // and until Fastify sends this URL a 200 again, so that a failing read is not made twice.
      urls.delete(url)
      return false
    }
    if (answer === undefined) return false
    if (answer instanceof Promise) {
      answer.then((ready) => { this.send(request, response, door, ready, start) }, () => {
        urls.delete(url)
        fastify(request, response)
      }).catch((error: unknown) => { response.destroy(error as Error) })
    } else {
      this.send(request, response, door, answer, start)
    }
    return true
  }

  private send (request: IncomingMessage, response: ServerResponse, door: DoorUrl, answer: Answer, start: number): void {
    let sendable = this.sendable.get(answer)
    if (!sendable) {
      sendable = sendableAnswer(door.head, answer)
      // Only kept answers (their bodies bytes already) are sent again.
      if (typeof answer.body !== 'string') this.sendable.set(answer, sendable)
    }
    // writeHead reads the list at once: its last value, the request id, is this request's.
    const { head, body } = sendable
    head[head.length - 1] = requestId(request)
    response.writeHead(200, head)
    this.ends.end(response, body, door.observe, start)
  }
}

/**
 * A door URL's answer now: the one kept in the result cache at the current data version, or
 * else (with no Redis to ask first) the one its rebuild reads, which is kept for next time.
 * Undefined when it is Fastify's to find.
 */
function currentAnswer (door: DoorUrl, { profiles, resultCache }: FrontDoorServices): MaybePromise<Answer> | undefined {
  const { rebuild } = door
  const canRead = rebuild !== undefined && !resultCache.shared
  if (resultCache.enabled) {
    const kept = resultCache.get(door.key, profiles.dataVersion(), canRead)
    if (kept) return kept
  }
  if (!canRead) return undefined
  return whenReady(rebuild(), (answer) => resultCache.set(door.key, answer))
}

/**
 * The headers Fastify sent with `answer` but the answer's own, its length and the request id, as
 * one flat list of names and values (Node's writeHead takes one as it is). Undefined when a
 * header was repeated (left to Fastify).
 */
function fixedHeaders (reply: FastifyReply, answer: Answer): string[] | undefined {
  const head: string[] = []
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (name === REQUEST_ID_HEADER || name === 'content-length' || name in answer.headers || value === undefined) continue
    if (Array.isArray(value)) return undefined
    head.push(name, String(value))
  }
  return head
}

/** An answer as the door sends it: every header, ending with the request id's slot, and the body's bytes. */
interface Sendable { head: string[], body: Buffer }

function sendableAnswer (fixed: string[], { headers, body }: Answer): Sendable {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body
  const head = fixed.slice()
  for (const name in headers) head.push(name, headers[name]!)
  head.push('content-length', String(bytes.length), REQUEST_ID_HEADER, '')
  return { head, body: bytes }
}

interface PendingEnd { response: ServerResponse, body: Buffer, observe: (seconds: number) => void, start: number }

/**
 * The door's answers go out together, once this turn of the event loop has handled every request
 * it read. Each answer written to a local client (a proxy on this machine, a benchmark) that is
 * asleep wakes it, and the wake-up is paid by the writer: on this machine's 2-core VM, perf showed
 * it as a sixth of an uncached API page. Written back to back, the answers of one turn wake it once.
 */
class EndsOfTurn {
  private readonly pending: PendingEnd[] = []

  end (response: ServerResponse, body: Buffer, observe: (seconds: number) => void, start: number): void {
    if (this.pending.push({ response, body, observe, start }) === 1) setImmediate(this.flush)
  }

  private readonly flush = (): void => {
    for (const { response, body, observe, start } of this.pending.splice(0)) {
      try {
        response.end(body)
        observe((performance.now() - start) / 1000)
      } catch (error) {
        // Not known to happen (an end on a closed connection is a no-op); if it does, that one
        // connection is dropped, and the other answers of the turn still go out.
        response.destroy(error as Error)
      }
    }
  }
}
