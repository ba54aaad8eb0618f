// A per-client request budget for the JSON API (@fastify/rate-limit, in memory per process).
import fastifyRateLimit from '@fastify/rate-limit'
import type { FastifyInstance } from 'fastify'
import type { RateLimitConfig } from '../../config.js'

/**
 * Limits `scope` (the /api plugin) to `max` requests per client and window, with x-ratelimit-*
 * headers on every answer and retry-after on a 429. Clients are told apart by address
 * (request.ip, so TRUST_PROXY decides whether X-Forwarded-For counts).
 */
export async function limitRequestRate (scope: FastifyInstance, { enabled, max, windowSeconds }: RateLimitConfig): Promise<void> {
  if (!enabled) return
  await scope.register(fastifyRateLimit, {
    // Not the plugin's per-route hooks: those run after a route's own onRequest hooks, and the
    // result cache answers from there, so cached answers would go uncounted and unlabelled.
    global: false,
    max,
    timeWindow: windowSeconds * 1000,
    cache: 10_000,
    // A CORS preflight is the browser's, not a request of the client's; a 429 to it would read as a
    // network error. Preflights are answered in a scope this hook does not reach; this covers any other OPTIONS.
    allowList: (request) => request.method === 'OPTIONS',
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      error: 'Too Many Requests',
      message: `Rate limit exceeded: ${context.max} requests per ${windowSeconds} s; retry in ${context.after}`
    })
  })
  // One hook for the whole scope, ahead of every route's hooks (and of its not-found answer).
  scope.addHook('onRequest', scope.rateLimit())
}
