// Conditional GETs: a tag names one representation of one URL at one data version; answers come
// from the result cache or are built, and an If-None-Match that holds the current tag gets a 304.
import { createHash } from 'node:crypto'
import fastifyCaching from '@fastify/caching'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Answer } from './resultCache.js'

/** A strong tag for the representation described by `parts` (route, data version, canonical query…). */
export function entityTag (...parts: string[]): string {
  return `"${createHash('sha256').update(parts.join('\n')).digest('base64url').slice(0, 27)}"`
}

/** Whether If-None-Match (one tag, a list, weak or strong forms, or *) matches `tag` (weak comparison, RFC 9110). */
export function ifNoneMatchHits (header: string | undefined, tag: string): boolean {
  if (!header) return false
  return header.split(',').some((candidate) => {
    const trimmed = candidate.trim()
    return trimmed === '*' || trimmed.replace(/^W\//, '') === tag
  })
}

// @fastify/caching answers 304 to any tag it ever issued, whatever the URL and however old
// the data. Its store is therefore one that never remembers: the routes compare tags
// themselves, against the tag of this URL at the current data version.
const forgetfulTagStore = {
  get: (_key: unknown, callback: (error: null, value: null) => void) => callback(null, null),
  set: (_key: unknown, _value: unknown, _ttl: number, callback: (error: null) => void) => callback(null)
}

/**
 * Registers @fastify/caching in a route group: `Cache-Control: public, max-age=N` on its
 * 2xx responses and `no-store` on its errors. Returns the header value (304s set it themselves).
 */
export async function useHttpCaching (scope: FastifyInstance, maxAgeSeconds: number): Promise<string> {
  await scope.register(fastifyCaching, {
    privacy: fastifyCaching.privacy.PUBLIC,
    expiresIn: maxAgeSeconds,
    cache: forgetfulTagStore as never
  })
  return `public, max-age=${maxAgeSeconds}`
}

/** What an answer builder returns: everything but the tag, which names its key and data version. */
export type BuiltAnswer = Omit<Answer, 'etag'>

/**
 * Answers a GET with the representation named `key` (one normalised query of one route):
 * a 304 when If-None-Match holds its tag at the current data version; else the answer kept in
 * the result cache; else the one `build` reads, which is kept for next time. The data version is
 * read first only when the cache is on or the request is conditional: otherwise `build`'s own
 * read (one statement, one snapshot) is the only trip to the database.
 */
export async function answer (
  request: FastifyRequest, reply: FastifyReply, key: string, cacheControl: string,
  build: () => BuiltAnswer | Promise<BuiltAnswer>
): Promise<FastifyReply> {
  const { profiles, resultCache } = request.server
  const conditional = request.headers['if-none-match']
  let kept: Answer | undefined
  if (resultCache.enabled || conditional) {
    const version = profiles.dataVersion()
    kept = resultCache.get(key, version)
    if (conditional && ifNoneMatchHits(conditional, kept?.etag ?? entityTag(key, version))) {
      return notModified(reply, kept?.etag ?? entityTag(key, version), cacheControl)
    }
  }
  if (!kept) {
    const built = await build()
    kept = { ...built, etag: entityTag(key, built.dataVersion) }
    resultCache.set(key, kept)
  }
  resultCache.rememberUrl(request.url, key)
  return send(reply, kept)
}

/**
 * A route's onRequest hook for the result cache's fast path: a URL answered before names the
 * same normalised query again, so its kept answer (or a 304) goes out before the query rules,
 * the schema and the handler run. Anything else falls through to them.
 */
export function answerKnownUrl (cacheControl: string) {
  return async function answerFromCache (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const { profiles, resultCache } = request.server
    const key = resultCache.keyForUrl(request.url)
    if (key === undefined) return undefined
    const kept = resultCache.get(key, profiles.dataVersion(), false)
    if (!kept) return undefined
    const conditional = request.headers['if-none-match']
    if (conditional && ifNoneMatchHits(conditional, kept.etag)) return notModified(reply, kept.etag, cacheControl)
    return send(reply, kept)
  }
}

function notModified (reply: FastifyReply, etag: string, cacheControl: string): FastifyReply {
  return reply.code(304).header('ETag', etag).header('Cache-Control', cacheControl).send()
}

function send (reply: FastifyReply, kept: Answer): FastifyReply {
  return reply.code(200).headers(kept.headers).header('ETag', kept.etag).type(kept.contentType).send(kept.body)
}
