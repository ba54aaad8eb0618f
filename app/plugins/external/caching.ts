// HTTP caching with @fastify/caching, in the scopes whose GETs are cached (/api and the pages):
// Cache-Control from its options, tags by reply.etag(), its 304, and fastify.cache, the answer store.
import fastifyCaching from '@fastify/caching'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { ifNoneMatchHits, requestedTag } from '../../http/answers.js'
import { TAGS, type AnswerStore } from '../../http/answerStore.js'

export interface CachingOptions {
  /** Seconds any cache may reuse a successful GET (CACHE_MAX_AGE). */
  maxAge: number
  store: AnswerStore
}

async function caching (scope: FastifyInstance, { maxAge, store }: CachingOptions): Promise<void> {
  // The plugin answers 304 to any If-None-Match its store holds, whatever the URL: it is shown
  // only this URL's current tag, when the client sent it (or *), and nothing otherwise.
  scope.addHook('onRequest', (request, _reply, done) => {
    const sent = request.headers['if-none-match']
    if (sent === undefined) return done()
    const tag = requestedTag(request)
    if (tag !== undefined && ifNoneMatchHits(sent, tag)) request.headers['if-none-match'] = tag
    else delete request.headers['if-none-match']
    done()
  })
  // Its 304 would go out without the tag and with an error's no-store: it revalidates a 200, so it carries the 200's (RFC 9110).
  scope.addHook('onSend', (request, reply, payload, done) => {
    if (reply.statusCode === 304) reply.header('etag', request.headers['if-none-match']).header('cache-control', cacheControl)
    done(null, payload)
  })
  // CACHE_MAX_AGE=0 asks caches to revalidate every time (no-cache); the plugin would send a bare "public" instead, which lets them guess.
  const privacy = maxAge > 0 ? fastifyCaching.privacy.PUBLIC : fastifyCaching.privacy.NOCACHE
  const cacheControl = maxAge > 0 ? `public, max-age=${maxAge}` : 'no-cache'
  await scope.register(fastifyCaching, { privacy, expiresIn: maxAge, cache: store, cacheSegment: TAGS })
}

export default fp(caching, { name: 'http-caching', fastify: '5.x', dependencies: ['profiles'] })
