// Security headers on every response (@fastify/helmet), with the pages' strict Content-Security-Policy.
import fastifyHelmet, { type FastifyHelmetOptions } from '@fastify/helmet'
import fp from 'fastify-plugin'
import { HELMET_OPTIONS } from './securityHeaders.js'

export default fp(async (app) => {
  // The same helmet, whose types @fastify/helmet reads as CommonJS and we as a module.
  await app.register(fastifyHelmet, HELMET_OPTIONS as FastifyHelmetOptions)
}, { name: 'security-headers', fastify: '5.x' })
