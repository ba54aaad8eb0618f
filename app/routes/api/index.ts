// The JSON API under /api: cross-origin reads, a per-client rate limit, caching, JSON errors and 404s.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { RateLimitConfig } from '../../config.js'
import { NOT_STORED, publicCacheControl } from '../../http/conditionalGet.js'
import { publicError } from '../../http/errors.js'
import { allowCrossOriginReads } from '../../plugins/external/cors.js'
import { limitRequestRate } from '../../plugins/external/rateLimit.js'
import exportsRoutes from './exports.js'
import facetsRoutes from './facets.js'
import profilesRoutes from './profiles.js'
import githubApi from './v3.js'

export interface ApiOptions {
  httpCacheMaxAge: number
  rateLimit: RateLimitConfig
  publicUrl: string
  exportConcurrency: number
}

const api: FastifyPluginAsyncTypebox<ApiOptions> = async (app, { httpCacheMaxAge, rateLimit, publicUrl, exportConcurrency }) => {
  // In this order: a 429 carries the CORS headers too, and the preflights' scope, created before
  // the rate limit's hook is added, is not limited.
  await allowCrossOriginReads(app)
  await limitRequestRate(app, rateLimit)
  const cacheControl = publicCacheControl(httpCacheMaxAge)

  app.setErrorHandler((error, request, reply) => {
    const body = publicError(error)
    if (body.statusCode >= 500) request.log.error({ err: error }, 'request failed')
    return reply.code(body.statusCode).header('cache-control', NOT_STORED).send(body)
  })
  app.setNotFoundHandler((request, reply) => reply.code(404).send({
    statusCode: 404, error: 'Not Found', message: `No route ${request.method} ${request.url.split('?')[0]}`
  }))

  await app.register(profilesRoutes, { cacheControl })
  await app.register(githubApi, { prefix: '/v3', cacheControl, publicUrl })
  await app.register(facetsRoutes, { cacheControl })
  await app.register(exportsRoutes, { cacheControl, concurrency: exportConcurrency })
}

export default api
