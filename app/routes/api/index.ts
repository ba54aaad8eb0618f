// The JSON API under /api: cross-origin reads, a per-client rate limit, HTTP caching and JSON 404s
// (its errors are the app's JSON errors; /api/v3 writes GitHub's).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { RateLimitConfig } from '../../config.js'
import caching from '../../plugins/external/caching.js'
import cors from '../../plugins/external/cors.js'
import rateLimit from '../../plugins/external/rateLimit.js'
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

const api: FastifyPluginAsyncTypebox<ApiOptions> = async (app, options) => {
  // In this order: a 429 carries the CORS headers, and a 304 counts against the budget.
  await app.register(cors)
  await app.register(rateLimit, options.rateLimit)
  await app.register(caching, { maxAge: options.httpCacheMaxAge, store: app.answerStore })

  app.setNotFoundHandler((request, reply) => reply.code(404).send({
    statusCode: 404, error: 'Not Found', message: `No route ${request.method} ${request.url.split('?')[0]}`
  }))

  await app.register(profilesRoutes)
  await app.register(githubApi, { prefix: '/v3', publicUrl: options.publicUrl })
  await app.register(facetsRoutes)
  await app.register(exportsRoutes, { concurrency: options.exportConcurrency })
}

export default api
