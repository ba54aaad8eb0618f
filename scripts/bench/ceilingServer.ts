// The benchmark's ceiling: one bare Fastify route, `GET /`, sending a pre-serialised JSON body.
// Run by scripts/bench.ts as a child process: BODY_FILE, HOST, PORT, WORKERS (node:cluster).
import cluster from 'node:cluster'
import { readFileSync } from 'node:fs'
import Fastify from 'fastify'

const workers = Number(process.env.WORKERS ?? '1')

if (cluster.isPrimary && workers > 1) {
  for (let i = 0; i < workers; i++) cluster.fork()
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM')
    process.exitCode = 0
  })
} else {
  const body = readFileSync(process.env.BODY_FILE!)
  const app = Fastify({ logger: false })
  app.get('/', (_request, reply) => {
    reply.type('application/json; charset=utf-8').send(body)
  })
  process.once('SIGTERM', () => { void app.close() })
  await app.listen({ host: process.env.HOST, port: Number(process.env.PORT) })
}
