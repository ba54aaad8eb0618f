// A per-client request budget for the JSON API (@fastify/rate-limit, in memory per process).
import fastifyRateLimit from '@fastify/rate-limit'
import fp from 'fastify-plugin'
import type { RateLimitConfig } from '../../config.js'

/**
 * Limits the scope it is registered in (/api) to `max` requests per client and window, with
 * x-ratelimit-* headers on every answer and retry-after on a 429. Clients are told apart by
 * address (request.ip, so TRUST_PROXY decides whether X-Forwarded-For counts).
 */
export default fp<RateLimitConfig>(async (scope, { enabled, max, windowSeconds }) => {
  if (!enabled) return
  await scope.register(fastifyRateLimit, {
    // As a hook of the whole scope rather than of each route: unknown paths count too, and it runs before the 304 of the caching plugin.
    global: false,
    max,
    timeWindow: windowSeconds * 1000,
    cache: 10_000,
    // A CORS preflight is the browser's, not a request of the client's; a 429 to it would read as a network error.
    allowList: (request) => request.method === 'OPTIONS',
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      error: 'Too Many Requests',
      message: `Rate limit exceeded: ${context.max} requests per ${windowSeconds} s; retry in ${context.after}`
    })
  })
  scope.addHook('onRequest', scope.rateLimit())
}, { name: 'rate-limit', fastify: '5.x' })
