// Cross-origin access to the JSON API: any origin may read it, without credentials, and scripts
// may read the paging and caching headers.
import fastifyCors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'

const EXPOSED_HEADERS = ['Link', 'X-Total-Count', 'ETag', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'X-RateLimit-Used', 'Retry-After']

/** What every /api answer carries: for origin '*' without credentials they never depend on the request. */
export const CROSS_ORIGIN_READ_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'access-control-allow-origin': '*',
  'access-control-expose-headers': EXPOSED_HEADERS.join(', ')
})

/**
 * CORS in `scope` (the /api plugin) only; the pages stay same-origin. An answer's two headers
 * are constants, set by one hook. Preflights are @fastify/cors's: it is registered in a scope of
 * its own, which holds nothing but its OPTIONS route, because its hook, run on every request of
 * its scope, reads request.routeOptions (a new object per call) twice and copies its options:
 * about 4 µs of a cached answer's cost, for the same two headers (bench/README.md).
 */
export async function allowCrossOriginReads (scope: FastifyInstance): Promise<void> {
  scope.addHook('onRequest', (_request, reply, done) => {
    reply.headers(CROSS_ORIGIN_READ_HEADERS)
    done()
  })
  await scope.register(async (preflights) => {
    await preflights.register(fastifyCors, {
      origin: '*',
      methods: ['GET', 'HEAD'],
      exposedHeaders: CROSS_ORIGIN_READ_HEADERS['access-control-expose-headers'],
      maxAge: 86_400,
      // Strict, an OPTIONS without Origin or Access-Control-Request-Method would get a text/plain
      // 400, the one answer of the API that is not JSON; it gets the preflight's 204 instead.
      strictPreflight: false
    })
  })
}
