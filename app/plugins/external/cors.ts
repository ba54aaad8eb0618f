// Cross-origin access to the JSON API (@fastify/cors): any origin may read it, without credentials,
// and scripts may read the paging and caching headers.
import fastifyCors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'

export const EXPOSED_HEADERS = ['Link', 'X-Total-Count', 'ETag', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'Retry-After']

/** What the plugin sets on an /api answer, for the answers that come before any hook (unroutable URLs). */
export const CROSS_ORIGIN_READ_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'access-control-allow-origin': '*',
  'access-control-expose-headers': EXPOSED_HEADERS.join(', ')
})

/** Registers CORS in `scope` (the /api plugin) only: the pages stay same-origin. */
export async function allowCrossOriginReads (scope: FastifyInstance): Promise<void> {
  await scope.register(fastifyCors, {
    origin: '*',
    methods: ['GET', 'HEAD'],
    // One string, not the list: the plugin would join the list again on every request.
    exposedHeaders: EXPOSED_HEADERS.join(', '),
    maxAge: 86_400
  })
}
