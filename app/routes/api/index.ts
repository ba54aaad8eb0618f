// The JSON API under /api: its caching, JSON errors and JSON 404s.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { useHttpCaching } from '../../http/conditionalGet.js'
import { publicError } from '../../http/errors.js'
import profilesRoutes from './profiles.js'

export interface ApiOptions {
  httpCacheMaxAge: number
}

const api: FastifyPluginAsyncTypebox<ApiOptions> = async (app, { httpCacheMaxAge }) => {
  const cacheControl = await useHttpCaching(app, httpCacheMaxAge)

  app.setErrorHandler((error, request, reply) => {
    const body = publicError(error)
    if (body.statusCode >= 500) request.log.error({ err: error }, 'request failed')
    return reply.code(body.statusCode).send(body)
  })
  app.setNotFoundHandler((request, reply) => reply.code(404).send({
    statusCode: 404, error: 'Not Found', message: `No route ${request.method} ${request.url.split('?')[0]}`
  }))

  await app.register(profilesRoutes, { cacheControl })
}

export default api
