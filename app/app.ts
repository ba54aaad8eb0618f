// buildApp(): the whole service as a Fastify instance, for the server, the tests and benchmarks.
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import fastifyStatic from '@fastify/static'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import fastifyView from '@fastify/view'
import { Eta } from 'eta'
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import type { AppConfig } from './config.js'
import { AccessLog } from './http/accessLog.js'
import { JSON_TYPE } from './http/answers.js'
import { type ClientError, clientErrorJson, clientErrorOf, isPagePath, NOT_STORED, SHUTTING_DOWN, writeOnSocket } from './http/edgeAnswers.js'
import { publicError, schemaErrorMessage } from './http/errors.js'
import { REQUEST_ID_HEADER, requestId } from './http/requestId.js'
import { SERVER_LIMITS } from './http/serverLimits.js'
import { BOOTSTRAP_DIST_DIR, PUBLIC_DIR, VIEWS_DIR } from './paths.js'
import answerStore from './plugins/app/answerStore.js'
import profiles from './plugins/app/profiles.js'
import helmet, { SECURITY_HEADERS } from './plugins/external/helmet.js'
import { CROSS_ORIGIN_READ_HEADERS } from './plugins/external/cors.js'
import metrics, { UNMATCHED_ROUTE } from './plugins/external/metrics.js'
import swagger from './plugins/external/swagger.js'
import api from './routes/api/index.js'
import { githubError } from './routes/api/v3.js'
import { GITHUB_DOCS } from './schemas/githubUsers.js'
import operations from './routes/operations.js'
import { errorPageHtml, HOME_LINK } from './routes/pages/errorPage.js'
import pages from './routes/pages/index.js'
import { databaseLabel, prepareProfilesDatabase } from './store/profilesDatabase.js'

export type BuildAppConfig = Pick<
  AppConfig, 'databasePath' | 'databaseUrl' | 'resultCache' | 'httpCacheMaxAge' | 'rateLimit' | 'trustProxy' | 'publicUrl' | 'exportConcurrency'
>

export interface BuildAppOptions {
  /** Pino options (the server's); no logging when left out. */
  logger?: FastifyServerOptions['logger']
}

/** Fastify's trustProxy; a number n trusts the n hops nearest to us (Fastify's types lack the number form). */
function trustedProxies (setting: AppConfig['trustProxy']): boolean | string | ((address: string, hop: number) => boolean) {
  return typeof setting === 'number' ? (_address, hop) => hop < setting : setting
}

/** Builds the app on an existing database (the file, or PostgreSQL), first bringing it up to our schema. */
export async function buildApp (config: BuildAppConfig, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    logger: options.logger ?? false,
    logController: new AccessLog(),
    genReqId: requestId,
    trustProxy: trustedProxies(config.trustProxy),
    connectionTimeout: SERVER_LIMITS.connectionTimeout,
    keepAliveTimeout: SERVER_LIMITS.keepAliveTimeout,
    requestTimeout: SERVER_LIMITS.requestTimeout,
    http: { maxHeaderSize: SERVER_LIMITS.maxHeaderSize, headersTimeout: SERVER_LIMITS.headersTimeout },
    bodyLimit: SERVER_LIMITS.bodyLimit,
    // Fastify's own answers to these carry none of our headers (it writes them before any hook):
    // the 503 of the hook below, and this handler, write the error every other answer would.
    return503OnClosing: false,
    clientErrorHandler: (error, socket) => { void answerClientError(app, error, socket) },
    schemaErrorFormatter: schemaErrorMessage,
    // URLs the router cannot match at all get the same 400 as any bad parameter.
    frameworkErrors: (error, request, reply) => answerUnroutableUrl(app, error, request, reply),
    ajv: { customOptions: { removeAdditional: false } },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: SERVER_LIMITS.maxParamLength }
  }).withTypeProvider<TypeBoxTypeProvider>()

  const prepared = await prepareProfilesDatabase(config)
  if (prepared.applied.length || prepared.rebuilt) {
    app.log.info({ ...prepared, at: databaseLabel(config) }, 'brought the database up to date')
  }

  // The JSON errors of /api, the operational routes and /docs; the pages and /api/v3 have their own.
  app.setErrorHandler((error, request, reply) => {
    const body = publicError(error)
    if (body.statusCode >= 500) request.log.error({ err: error }, 'request failed')
    return reply.code(body.statusCode).header('cache-control', NOT_STORED).send(body)
  })
  await app.register(helmet)
  let closing = false
  app.addHook('preClose', (done) => {
    closing = true
    done()
  })
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id)
    if (closing) reply.code(503).header('cache-control', NOT_STORED).header('connection', 'close').send(SHUTTING_DOWN)
    else done()
  })
  await app.register(profiles, { databasePath: config.databasePath, databaseUrl: config.databaseUrl })
  await app.register(answerStore, config.resultCache)
  // The file's size is a gauge only where there is a file.
  await app.register(metrics, { databasePath: config.databaseUrl === undefined ? config.databasePath : undefined })
  await app.register(swagger)
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

  await app.register(operations, { databaseLabel: databaseLabel(config) })
  await app.register(api, {
    prefix: '/api',
    httpCacheMaxAge: config.httpCacheMaxAge,
    rateLimit: config.rateLimit,
    publicUrl: config.publicUrl,
    exportConcurrency: config.exportConcurrency
  })
  await app.register(pages, { httpCacheMaxAge: config.httpCacheMaxAge })
  return app
}

/** Bad percent-encoding or an over-long path segment: JSON under /api, an HTML page elsewhere. */
async function answerUnroutableUrl (app: FastifyInstance, error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const message = error.code === 'FST_ERR_MAX_PARAM_LENGTH'
    ? 'A path segment of this URL is too long'
    : 'This URL is not valid: it has a malformed percent-encoding'
  // The router answers these before any hook runs: the headers the hooks would have set, and the timing.
  reply.code(400).headers(SECURITY_HEADERS).header('cache-control', NOT_STORED).header(REQUEST_ID_HEADER, request.id)
  if (request.url.startsWith('/api/v3/')) {
    reply.headers(CROSS_ORIGIN_READ_HEADERS).send(githubError(400, message, GITHUB_DOCS.rest))
  } else if (request.url.startsWith('/api/')) {
    reply.headers(CROSS_ORIGIN_READ_HEADERS).send({ statusCode: 400, error: 'Bad Request', message })
  } else {
    // The router's own reply comes before any plugin decorated it, so render with the instance.
    const html = await errorPageHtml(app, { statusCode: 400, title: 'Bad Request', message, links: [HOME_LINK] })
    reply.type('text/html; charset=utf-8').send(html)
  }
  app.requestDurations.observe({ method: request.method, route: UNMATCHED_ROUTE, status_code: 400 }, reply.elapsedTime / 1000)
  return reply
}

/** A request Node could not parse (Fastify's clientErrorHandler): the 400 page for a page's path, JSON otherwise. */
async function answerClientError (app: FastifyInstance, error: ClientError, socket: Socket): Promise<void> {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const { statusCode, message, path } = clientErrorOf(error)
  app.log.debug({ err: error }, `client error: ${statusCode}`)
  if (path !== undefined && isPagePath(path)) {
    const page = { statusCode, title: STATUS_CODES[statusCode]!, message, links: [HOME_LINK] }
    const html = await errorPageHtml(app, page).catch(() => undefined)
    if (html !== undefined) return writeOnSocket(socket, statusCode, 'text/html; charset=utf-8', html)
  }
  writeOnSocket(socket, statusCode, JSON_TYPE, clientErrorJson(statusCode, message))
}
