// Operational routes: liveness.
import type { FastifyPluginAsync } from 'fastify'

const operations: FastifyPluginAsync = async (app) => {
  app.get('/ping', {
    schema: { response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } }
  }, async (_request, reply) => {
    reply.header('Cache-Control', 'no-store')
    return { status: 'ok' }
  })
}

export default operations
