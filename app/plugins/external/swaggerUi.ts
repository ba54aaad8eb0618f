// The interactive documentation at /docs (@fastify/swagger-ui, its assets served from node_modules),
// of the document swagger.ts makes; registered in the operational routes' scope, for its no-store.
import fastifySwaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'

/**
 * Swagger UI's own needs, and only on /docs: React sets inline style attributes, and its icons
 * are data: images. Everything else stays as strict as the pages' policy.
 */
const DOCS_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "base-uri 'none'",
  "connect-src 'self'",
  "font-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self' 'unsafe-inline'"
].join('; ')

export default fp(async (app) => {
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    staticCSP: DOCS_CONTENT_SECURITY_POLICY,
    uiConfig: { validatorUrl: null, docExpansion: 'list', deepLinking: true, tryItOutEnabled: true },
    logLevel: 'warn'
  })
}, { name: 'swagger-ui', fastify: '5.x', dependencies: ['swagger'] })
