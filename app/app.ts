// buildApp(): the whole service as a Fastify instance, for the server, the tests and benchmarks.
import fastifyStatic from '@fastify/static'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import fastifyView from '@fastify/view'
import { Eta } from 'eta'
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import type { AppConfig } from './config.js'
import { schemaErrorMessage } from './http/errors.js'
import { BOOTSTRAP_DIST_DIR, PUBLIC_DIR, VIEWS_DIR } from './paths.js'
import profiles from './plugins/profiles.js'
import api from './routes/api/index.js'
import operations from './routes/operations.js'
import { errorPageHtml, HOME_LINK } from './routes/pages/errorPage.js'
import pages from './routes/pages/index.js'
import { prepareDatabaseFile } from './store/database.js'

export type BuildAppConfig = Pick<AppConfig, 'databasePath' | 'resultCache' | 'httpCacheMaxAge'>

export interface BuildAppOptions {
  logger?: FastifyServerOptions['logger']
}

/** Builds the app on an existing database file, first bringing the file up to our schema. */
export async function buildApp (config: BuildAppConfig, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    logger: options.logger ?? false,
    schemaErrorFormatter: schemaErrorMessage,
    // URLs the router cannot match at all get the same 400 as any bad parameter.
    frameworkErrors: (error, request, reply) => answerUnroutableUrl(app, error, request, reply),
    ajv: { customOptions: { removeAdditional: false } },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 }
  }).withTypeProvider<TypeBoxTypeProvider>()

  const prepared = await prepareDatabaseFile(config.databasePath)
  if (prepared.applied.length || prepared.rebuilt) {
    app.log.info({ ...prepared, file: config.databasePath }, 'brought the database up to date')
  }

  await app.register(profiles, { databasePath: config.databasePath, resultCache: config.resultCache })
  await app.register(fastifyView, {
    engine: { eta: new Eta({ autoEscape: true }) },
    root: VIEWS_DIR,
    production: true
  })
  await app.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/static/', maxAge: '1h' })
  await app.register(fastifyStatic, {
    root: BOOTSTRAP_DIST_DIR,
    prefix: '/static/bootstrap/',
    maxAge: '1d',
    decorateReply: false
  })

  await app.register(operations)
  await app.register(api, { prefix: '/api', httpCacheMaxAge: config.httpCacheMaxAge })
  await app.register(pages, { httpCacheMaxAge: config.httpCacheMaxAge })
  return app
}

/** Bad percent-encoding or an over-long path segment: JSON under /api, an HTML page elsewhere. */
async function answerUnroutableUrl (app: FastifyInstance, error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const message = error.code === 'FST_ERR_MAX_PARAM_LENGTH'
    ? 'A path segment of this URL is too long'
    : 'This URL is not valid: it has a malformed percent-encoding'
  reply.code(400).header('Cache-Control', 'no-store')
  if (request.url.startsWith('/api/')) return reply.send({ statusCode: 400, error: 'Bad Request', message })
  // The router's own reply comes before any plugin decorated it, so render with the instance.
  const html = await errorPageHtml(app, { statusCode: 400, title: 'Bad Request', message, links: [HOME_LINK] })
  return reply.type('text/html; charset=utf-8').send(html)
}
