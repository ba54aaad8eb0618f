// Entity tags and If-None-Match: a tag names one representation of one URL at one data version.
import { createHash } from 'node:crypto'
import fastifyCaching from '@fastify/caching'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

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
 * 2xx responses, `no-store` on its errors, and reply.etag(). Returns the header value.
 */
export async function useHttpCaching (scope: FastifyInstance, maxAgeSeconds: number): Promise<string> {
  await scope.register(fastifyCaching, {
    privacy: fastifyCaching.privacy.PUBLIC,
    expiresIn: maxAgeSeconds,
    cache: forgetfulTagStore as never
  })
  return `public, max-age=${maxAgeSeconds}`
}

/** Sends a 304 and returns true when the request already holds `tag`. */
export function answeredNotModified (request: FastifyRequest, reply: FastifyReply, tag: string, cacheControl: string): boolean {
  if (!ifNoneMatchHits(request.headers['if-none-match'], tag)) return false
  reply.code(304).header('ETag', tag).header('Cache-Control', cacheControl).send()
  return true
}
