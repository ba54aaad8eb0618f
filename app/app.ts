// buildApp(): the whole service as a Fastify instance, for the server, the tests and benchmarks.
import fastifyStatic from '@fastify/static'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import fastifyView from '@fastify/view'
import { Eta } from 'eta'
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import type { AppConfig } from './config.js'
import { NOT_STORED } from './http/conditionalGet.js'
import { clientErrorAnswerer, SHUTTING_DOWN } from './http/edgeAnswers.js'
import { publicError, schemaErrorMessage } from './http/errors.js'
import { FrontDoor } from './http/frontDoor.js'
import { REQUEST_ID_HEADER, requestId } from './http/requestId.js'
import { lazyRequestLogger } from './http/requestLogger.js'
import { SERVER_LIMITS } from './http/serverLimits.js'
import { BOOTSTRAP_DIST_DIR, PUBLIC_DIR, VIEWS_DIR } from './paths.js'
import profiles from './plugins/app/profiles.js'
import { CROSS_ORIGIN_READ_HEADERS } from './plugins/external/cors.js'
import metrics, { UNMATCHED_ROUTE } from './plugins/external/metrics.js'
import { registerDocs, registerOpenApi } from './plugins/external/openapi.js'
import { SECURITY_HEADERS } from './plugins/external/securityHeaders.js'
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

/**
 * What every answer starts with: the security headers, and Cache-Control no-store, which the
 * successful GETs of the API and the pages (and static files) replace with their own.
 */
const FIXED_HEADERS: Readonly<Record<string, string>> = Object.freeze({ ...SECURITY_HEADERS, 'cache-control': NOT_STORED })
/** The levels at which Fastify writes a line for every request (it logs them at info). */
const REQUEST_LINE_LEVELS = new Set(['info', 'debug', 'trace'])

/** Fastify's trustProxy; a number n trusts the n hops nearest to us (Fastify's types lack the number form). */
function trustedProxies (setting: AppConfig['trustProxy']): boolean | string | ((address: string, hop: number) => boolean) {
  return typeof setting === 'number' ? (_address, hop) => hop < setting : setting
}

/** Builds the app on an existing database (the file, or PostgreSQL), first bringing it up to our schema. */
export async function buildApp (config: BuildAppConfig, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const frontDoor = new FrontDoor()
  const app: FastifyInstance = Fastify({
    logger: options.logger ?? false,
    genReqId: requestId,
    // The lazy logger needs a pino parent. Without a logger Fastify makes no children at all, as
    // long as its own factory is kept.
    childLoggerFactory: options.logger ? lazyRequestLogger : undefined,
    trustProxy: trustedProxies(config.trustProxy),
    // Node's server, made with SERVER_LIMITS' timeouts and sizes, with the front door in its listener.
    serverFactory: frontDoor.serverFactory(SERVER_LIMITS),
    bodyLimit: SERVER_LIMITS.bodyLimit,
    // Fastify's own answers to these lack our headers: ours are the hook below and this handler.
    return503OnClosing: false,
    clientErrorHandler: clientErrorAnswerer(FIXED_HEADERS),
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

  // The API and the pages have their own; this one answers for the operational routes and /docs.
  app.setErrorHandler((error, request, reply) => {
    const body = publicError(error)
    if (body.statusCode >= 500) request.log.error({ err: error }, 'request failed')
    return reply.code(body.statusCode).header('cache-control', NOT_STORED).send(body)
  })
  // One hook for the headers every answer carries (each hook costs every request its turn), and
  // the 503 of a request that arrives on an open connection once the server is shutting down.
  // The front door's answers skip every hook: one that does more than set constant headers on a
  // cached answer (counts it, logs it, checks it) must keep the door shut below.
  app.addHook('preClose', (done) => {
    frontDoor.close()
    done()
  })
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(FIXED_HEADERS).header(REQUEST_ID_HEADER, request.id)
    if (frontDoor.closing) reply.code(503).send(SHUTTING_DOWN)
    else done()
  })
  await app.register(profiles, { databasePath: config.databasePath, databaseUrl: config.databaseUrl, resultCache: config.resultCache })
  // The file's size is a gauge only where there is a file.
  await app.register(metrics, { databasePath: config.databaseUrl === undefined ? config.databasePath : undefined })
  app.decorate('frontDoor', frontDoor)
  // Open only while no hook has work of its own for an answer: no rate-limit count, no request
  // log lines (Fastify's logger without a logger of ours has no level).
  if (!config.rateLimit.enabled && !REQUEST_LINE_LEVELS.has(app.log.level)) {
    frontDoor.open({
      profiles: app.profiles,
      resultCache: app.resultCache,
      timer: app.requestTimer,
      maxUrls: config.resultCache.maxEntries * 2
    })
  }
  await registerOpenApi(app)
  // Our templates get all their data from each render call. Without a `locals` decorator of
  // ours, @fastify/view adds one with an onRequest hook giving every reply an empty object.
  app.decorateReply('locals', null)
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
  await registerDocs(app)
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
  // No hook runs for these: set what the hooks set on every other answer, and time it as one.
  reply.code(400).headers(FIXED_HEADERS).header(REQUEST_ID_HEADER, request.id)
  if (request.url.startsWith('/api/v3/')) {
    reply.headers(CROSS_ORIGIN_READ_HEADERS).send(githubError(400, message, GITHUB_DOCS.rest))
  } else if (request.url.startsWith('/api/')) {
    reply.headers(CROSS_ORIGIN_READ_HEADERS).send({ statusCode: 400, error: 'Bad Request', message })
  } else {
    // The router's own reply comes before any plugin decorated it, so render with the instance.
    const html = await errorPageHtml(app, { statusCode: 400, title: 'Bad Request', message, links: [HOME_LINK] })
    reply.type('text/html; charset=utf-8').send(html)
  }
  app.requestTimer(UNMATCHED_ROUTE, request.method, 400)(reply.elapsedTime / 1000)
  return reply
}
