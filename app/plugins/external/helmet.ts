// Security headers on every response: helmet's, for the pages' strict Content-Security-Policy.
import fp from 'fastify-plugin'
import { SECURITY_HEADERS } from './securityHeaders.js'

export default fp(async (app) => {
  // Helmet's headers are the same for every answer (no nonces), so they are made by helmet once and
  // set as Fastify headers. @fastify/helmet builds helmet anew on every request: see bench/README.md.
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(SECURITY_HEADERS)
    done()
  })
}, { name: 'security-headers', fastify: '5.x' })
