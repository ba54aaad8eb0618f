// A cached route's successful GET, answered one of three ways: @fastify/caching's 304 (in its
// onRequest hook, before any of this runs), the answer kept in fastify.cache, or a fresh read.
import { hash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { MaybePromise } from '../store/profilesSource.js'
import { ANSWERS, type Answer } from './answerStore.js'

/** The parts of a request a representation is read from: a request itself, or a copy of its parts. */
export interface RequestParts { query: unknown, params: unknown }

/** How a cached route names what a request asks for (its ETag's base). */
export interface Representation {
  /** The route's own input rules (its preValidation hook): normalise the parts in place, or throw a 400. */
  check: (parts: RequestParts) => void
  /** One string per distinct answer of the route: its name and the canonical query, from validated parts. */
  key: (parts: RequestParts) => string
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Present on every route whose GETs are cached: see answer(). */
    representation?: Representation
  }
}

/** What a route's read returns: the answer's text and own headers, and the data version it was read at. */
export interface BuiltAnswer {
  dataVersion: string
  contentType: string
  /** Headers of this answer's own (Link, X-Total-Count…). */
  headers: Record<string, string>
  body: string
}

/** The content type of the API's JSON answers. */
export const JSON_TYPE = 'application/json; charset=utf-8'

/** How long this process keeps a tag or an answer (a new data version retires them sooner). */
export const ANSWER_LIFETIME_MS = 3_600_000

function digest (text: string, length: number): string {
  return hash('sha256', text, 'base64url').slice(0, length)
}

let lastVersion = ''
let lastPrefix = ''

/**
 * The part of every tag that names the data version, so the answer store can tell current tags from
 * old ones. Asked on every request: hashed again only when the version moves on.
 */
export function versionTagPrefix (dataVersion: string): string {
  if (dataVersion !== lastVersion) {
    lastPrefix = `"${digest(dataVersion, 10)}-`
    lastVersion = dataVersion
  }
  return lastPrefix
}

/** A strong tag naming one representation (route and canonical query) at one data version. */
export function entityTag (key: string, dataVersion: string): string {
  return `${versionTagPrefix(dataVersion)}${digest(`${key}\n${dataVersion}`, 22)}"`
}

/**
 * Whether If-None-Match (one tag, a list, weak or strong forms, or *) matches `tag` (weak
 * comparison, RFC 9110). `*` matches any current representation.
 */
export function ifNoneMatchHits (header: string, tag: string): boolean {
  return header.split(',').some((candidate) => {
    const trimmed = candidate.trim()
    return trimmed === '*' || trimmed.replace(/^W\//, '') === tag
  })
}

/**
 * The current tag of what `request` asks for, read from a copy of its parts checked and validated as
 * its route will do; undefined for a route that is not cached or parts that will not pass.
 */
export function requestedTag (request: FastifyRequest): string | undefined {
  const { representation } = request.routeOptions.config
  if (!representation) return undefined
  const parts = { query: { ...(request.query as object) }, params: { ...(request.params as object) } }
  try {
    representation.check(parts)
  } catch {
    return undefined
  }
  const validQuery = request.getValidationFunction('querystring')
  const validParams = request.getValidationFunction('params')
  if ((validQuery && !validQuery(parts.query)) || (validParams && !validParams(parts.params))) return undefined
  return entityTag(representation.key(parts), request.server.profiles.dataVersion())
}

/**
 * Answers the route's GET with the answer fastify.cache keeps under the current tag, or else with
 * the one `build` reads, which is kept for next time under the tag of the version it was read at.
 */
export async function answer (request: FastifyRequest, reply: FastifyReply, build: () => MaybePromise<BuiltAnswer>): Promise<FastifyReply> {
  const key = request.routeOptions.config.representation!.key(request)
  const { cache, profiles } = request.server
  const version = profiles.dataVersion()
  const tag = entityTag(key, version)
  const kept = await cache.get<Answer>({ id: tag, segment: ANSWERS })
  if (kept) return send(reply, tag, kept.item)
  const built = await build()
  const builtTag = built.dataVersion === version ? tag : entityTag(key, built.dataVersion)
  const fresh: Answer = { headers: { ...built.headers, 'content-type': built.contentType }, body: Buffer.from(built.body) }
  cache.set({ id: builtTag, segment: ANSWERS }, fresh, ANSWER_LIFETIME_MS)
  return send(reply, builtTag, fresh)
}

function send (reply: FastifyReply, tag: string, { headers, body }: Answer): FastifyReply {
  return reply.etag(tag, ANSWER_LIFETIME_MS).headers(headers).send(body)
}
