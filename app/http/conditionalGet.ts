// Conditional GETs: a tag names one representation of one URL at one data version; answers come
// from the result cache or are built, and an If-None-Match that holds the current tag gets a 304.
import { hash } from 'node:crypto'
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'
import { type MaybePromise, whenReady } from '../store/profilesSource.js'
import type { Rebuild } from './frontDoor.js'
import type { Answer } from './resultCache.js'

/** A strong tag for the representation described by `parts` (route, data version, canonical query…). */
export function entityTag (...parts: string[]): string {
  return `"${hash('sha256', parts.join('\n'), 'base64url').slice(0, 27)}"`
}

/**
 * Whether If-None-Match (one tag, a list, weak or strong forms, or *) matches `tag` (weak
 * comparison, RFC 9110). `*` matches any representation there is: pass `exists` false while it
 * is not known yet whether there is one (a page past the end, an id no account has).
 */
export function ifNoneMatchHits (header: string | undefined, tag: string, exists = true): boolean {
  if (!header) return false
  return header.split(',').some((candidate) => {
    const trimmed = candidate.trim()
    return trimmed === '*' ? exists : trimmed.replace(/^W\//, '') === tag
  })
}

/** The default Cache-Control of every answer: errors and the operational routes are never stored. */
export const NOT_STORED = 'no-store'

/** The Cache-Control of the API's and the pages' successful GETs (200 and 304): any cache may keep them for `maxAgeSeconds`. */
export function publicCacheControl (maxAgeSeconds: number): string {
  return `public, max-age=${maxAgeSeconds}`
}

/** What an answer builder returns: the tag and the caching headers are added to it. */
export interface BuiltAnswer {
  dataVersion: string
  contentType: string
  /** Headers of this answer's own (Link, X-Total-Count…). */
  headers: Record<string, string>
  body: string
}

/** The answer `built` makes under `key`: its tag, and its own headers with Content-Type, ETag and Cache-Control. */
function finishedAnswer (key: string, cacheControl: string, { dataVersion, contentType, headers, body }: BuiltAnswer): Answer {
  const etag = entityTag(key, dataVersion)
  // All of its headers in one object, so that sending it again sets them in one call; ours last,
  // so that they win. Not a spread ({ ...headers, etag }): V8 copies one through its runtime,
  // which cost 16 µs of an uncached API page (bench/README.md, fourth round).
  const allHeaders = Object.assign({}, headers, { 'content-type': contentType, etag, 'cache-control': cacheControl })
  return { dataVersion, etag, headers: allHeaders, body }
}

/**
 * Answers a GET with the representation named `key` (one normalised query of one route):
 * a 304 when If-None-Match holds its tag at the current data version; else the answer kept in
 * the result cache (this process's memory, then Redis when there is a shared tier); else the one
 * `build` reads, which is kept for next time. The data version is read first only when the cache
 * is on or the request is conditional: otherwise `build`'s own read (one statement, one snapshot)
 * is the only trip to the database. For a `build` that may need no waiting (the API's on the
 * SQLite file): without a shared tier its answer costs no promise, and a promise is returned only
 * when one was awaited. The front door is given `build`, to answer this URL again with it.
 */
export function answer (
  request: FastifyRequest, reply: FastifyReply, key: string, cacheControl: string, build: () => MaybePromise<BuiltAnswer>
): undefined | Promise<void> {
  const rebuild = rebuilder(key, cacheControl, build)
  if (answerKnown(request, reply, key, cacheControl, rebuild)) return undefined
  if (request.server.resultCache.shared) return answerShared(request, reply, key, cacheControl, rebuild)
  const built = rebuild()
  if (built instanceof Promise) return built.then((ready) => { keepAndSend(request, reply, key, cacheControl, ready, rebuild) })
  keepAndSend(request, reply, key, cacheControl, built, rebuild)
  return undefined
}

/** answer(), for a `build` that must wait (a template to render). */
export async function answerAsync (
  request: FastifyRequest, reply: FastifyReply, key: string, cacheControl: string, build: () => Promise<BuiltAnswer>
): Promise<FastifyReply> {
  const rebuild = rebuilder(key, cacheControl, build)
  if (!answerKnown(request, reply, key, cacheControl, rebuild)) await answerShared(request, reply, key, cacheControl, rebuild)
  return reply
}

/**
 * `build`'s answer under `key`, finished. Made out here, not in answer(): a closure made there
 * would share its scope with the callbacks that hold the request and the reply, and the front
 * door, which keeps this one, would keep them alive with it.
 */
function rebuilder (key: string, cacheControl: string, build: () => MaybePromise<BuiltAnswer>): Rebuild {
  return () => whenReady(build(), (built) => finishedAnswer(key, cacheControl, built))
}

/** The 304 or the kept answer, when there is one to send; the reply it was sent on. */
function answerKnown (request: FastifyRequest, reply: FastifyReply, key: string, cacheControl: string, rebuild: Rebuild): FastifyReply | undefined {
  const { profiles, resultCache } = request.server
  const conditional = request.headers['if-none-match']
  if (!resultCache.enabled && !conditional) return undefined
  const version = profiles.dataVersion()
  const kept = resultCache.get(key, version)
  if (conditional) {
    const etag = kept?.etag ?? entityTag(key, version)
    if (ifNoneMatchHits(conditional, etag, kept !== undefined)) return notModified(reply, etag, cacheControl)
  }
  if (!kept) return undefined
  return sendKept(request, reply, key, kept, rebuild)
}

/** The answer Redis holds (kept in memory from then on), or else the one `rebuild` reads. */
async function answerShared (
  request: FastifyRequest, reply: FastifyReply, key: string, cacheControl: string, rebuild: Rebuild
): Promise<void> {
  const { profiles, resultCache } = request.server
  const stored = await resultCache.shared?.get(key, profiles.dataVersion())
  if (!stored) {
    keepAndSend(request, reply, key, cacheControl, await rebuild(), rebuild)
    return
  }
  resultCache.set(key, stored)
  if (ifNoneMatchHits(request.headers['if-none-match'], stored.etag)) notModified(reply, stored.etag, cacheControl)
  else sendKept(request, reply, key, stored, rebuild)
}

function keepAndSend (request: FastifyRequest, reply: FastifyReply, key: string, cacheControl: string, built: Answer, rebuild: Rebuild): FastifyReply {
  const kept = request.server.resultCache.set(key, built)
  request.server.resultCache.shared?.set(key, kept)
  // Built, so it exists: an If-None-Match of * (or a tag of a version read meanwhile) holds now.
  if (ifNoneMatchHits(request.headers['if-none-match'], kept.etag)) return notModified(reply, kept.etag, cacheControl)
  return sendKept(request, reply, key, kept, rebuild)
}

function sendKept (request: FastifyRequest, reply: FastifyReply, key: string, kept: Answer, rebuild: Rebuild): FastifyReply {
  request.server.resultCache.rememberUrl(request.url, key)
  send(reply, kept)
  request.server.frontDoor.remember(request, reply, key, kept, rebuild)
  return reply
}

/**
 * A route's onRequest hook for the result cache's fast path: a URL answered before names the
 * same normalised query again, so its kept answer (or a 304) goes out before the query rules,
 * the schema and the handler run (and the front door, when open, sends it from then on before
 * Fastify sees the request at all). Anything else falls through to them.
 */
export function answerKnownUrl (cacheControl: string): onRequestHookHandler {
  // A callback, not an async function: a hit costs no promise, and a miss goes on at once.
  return function answerFromCache (request, reply, done) {
    const { profiles, resultCache } = request.server
    const key = resultCache.keyForUrl(request.url)
    const kept = key === undefined ? undefined : resultCache.get(key, profiles.dataVersion(), false)
    if (key === undefined || !kept) {
      done()
      return
    }
    const conditional = request.headers['if-none-match']
    if (conditional && ifNoneMatchHits(conditional, kept.etag)) {
      notModified(reply, kept.etag, cacheControl)
      return
    }
    send(reply, kept)
    request.server.frontDoor.remember(request, reply, key, kept)
  }
}

function notModified (reply: FastifyReply, etag: string, cacheControl: string): FastifyReply {
  return reply.code(304).header('ETag', etag).header('Cache-Control', cacheControl).send()
}

function send (reply: FastifyReply, kept: Answer): FastifyReply {
  return reply.code(200).headers(kept.headers).send(kept.body)
}
