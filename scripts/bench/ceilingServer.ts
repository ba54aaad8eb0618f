// The benchmark's ceilings: one Fastify route, `GET /`, sending a pre-serialised JSON body.
// Bare, it is the most Fastify can serve. With HEADERS_FILE it is the ceiling as `npm start`
// ships any answer: the app's request log and rate limit (configured from the environment, as the
// server is), its request id, and the headers API page 1 carries. What a scenario costs beyond it
// is the app's own work, its request histogram included.
// Run by scripts/bench.ts as a child process: BODY_FILE, [HEADERS_FILE,] HOST, PORT, WORKERS (node:cluster).
import cluster from 'node:cluster'
import { readFileSync } from 'node:fs'
import Fastify, { type FastifyInstance } from 'fastify'
import { createConfig } from '../../app/config.js'
import { AccessLog, loggerOptions } from '../../app/http/accessLog.js'
import { REQUEST_ID_HEADER, requestId } from '../../app/http/requestId.js'
import rateLimit from '../../app/plugins/external/rateLimit.js'

const workers = Number(process.env.WORKERS ?? '1')

function bare (body: Buffer): FastifyInstance {
  const app = Fastify({ logger: false })
  app.get('/', (_request, reply) => {
    reply.type('application/json; charset=utf-8').send(body)
  })
  return app
}

async function asShipped (body: Buffer, headersFile: string): Promise<FastifyInstance> {
  const headers = JSON.parse(readFileSync(headersFile, 'utf8')) as Record<string, string>
  const config = createConfig(process.env)
  const app = Fastify({ logger: loggerOptions(config.logLevel), logController: new AccessLog(), genReqId: requestId })
  await app.register(rateLimit, config.rateLimit)
  app.get('/', (request, reply) => {
    reply.headers(headers).header(REQUEST_ID_HEADER, request.id).send(body)
  })
  return app
}

if (cluster.isPrimary && workers > 1) {
  for (let i = 0; i < workers; i++) cluster.fork()
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM')
    process.exitCode = 0
  })
} else {
  const body = readFileSync(process.env.BODY_FILE!)
  const headersFile = process.env.HEADERS_FILE
  const app = headersFile === undefined ? bare(body) : await asShipped(body, headersFile)
  process.once('SIGTERM', () => { void app.close() })
  await app.listen({ host: process.env.HOST, port: Number(process.env.PORT) })
}
