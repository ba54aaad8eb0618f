// Operational routes: liveness, health, Prometheus metrics, the OpenAPI document and /docs; none stored by any cache.
import cluster from 'node:cluster'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { NOT_STORED } from '../http/edgeAnswers.js'
import { clusterMetricsFromPrimary } from '../metrics/clusterMetrics.js'
import swaggerUi from '../plugins/external/swaggerUi.js'
import { Healthy, Ping, Unhealthy } from '../schemas/operations.js'

export interface OperationsOptions {
  /** Where the data is, for the log line of a failed check. */
  databaseLabel: string
}

const operations: FastifyPluginAsyncTypebox<OperationsOptions> = async (app, { databaseLabel }) => {
  app.addHook('onRequest', (_request, reply, done) => {
    reply.header('cache-control', NOT_STORED)
    done()
  })
  await app.register(swaggerUi)

  app.get('/ping', {
    schema: { tags: ['operations'], summary: 'Liveness: the process answers', response: { 200: Ping } }
  }, async () => ({ status: 'ok' as const }))

  app.get('/health', {
    schema: {
      tags: ['operations'],
      summary: 'Readiness: the database can be read, with its user count and data version',
      response: { 200: Healthy, 503: Unhealthy }
    }
  }, async (request, reply) => {
    const database = await app.checkDatabase()
    if (database.state === 'ok') return { status: 'ok' as const, database }
    request.log.warn({ database, at: databaseLabel }, 'health check failed')
    return reply.code(503).send({ status: 'unavailable' as const, database })
  })

  app.get('/metrics', { schema: { hide: true }, logLevel: 'warn', config: { disableMetrics: true } }, async (_request, reply) => {
    const text = cluster.isWorker ? await clusterMetricsFromPrimary() : await app.metricsRegistry.metrics()
    return reply.type(app.metricsRegistry.contentType).send(text)
  })

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}

export default operations
