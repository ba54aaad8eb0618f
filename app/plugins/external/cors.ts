// Cross-origin access to the JSON API (@fastify/cors, in the /api scope only): any origin may read
// it, without credentials, and scripts may read the paging, caching and rate-limit headers.
import fastifyCors from '@fastify/cors'
import fp from 'fastify-plugin'

const EXPOSED_HEADERS = [
  'Link', 'X-Total-Count', 'ETag', 'Content-Disposition',
  'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'X-RateLimit-Used', 'Retry-After'
]

/** What the plugin adds to an answer; the router's own 400s, which no hook sees, carry it by hand. */
export const CROSS_ORIGIN_READ_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'access-control-allow-origin': '*',
  'access-control-expose-headers': EXPOSED_HEADERS.join(', ')
})

export default fp(async (scope) => {
  await scope.register(fastifyCors, {
    origin: '*',
    methods: ['GET', 'HEAD'],
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: 86_400,
    // Strict, an OPTIONS without Origin or Access-Control-Request-Method would get a text/plain
    // 400, the one answer of the API that is not JSON; it gets the preflight's 204 instead.
    strictPreflight: false
  })
}, { name: 'cross-origin-reads', fastify: '5.x' })
