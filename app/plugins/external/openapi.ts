// The OpenAPI 3 document (@fastify/swagger), generated from the routes' TypeBox schemas, and the
// interactive documentation at /docs (@fastify/swagger-ui, its assets served from node_modules).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import fastifySwagger, { type FastifyDynamicSwaggerOptions } from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { PROJECT_ROOT } from '../../paths.js'

export const DOCS_PREFIX = '/docs'

const { version } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }

/**
 * Swagger UI's own needs, and only on /docs: React sets inline style attributes, and its icons
 * are data: images. Everything else stays as strict as the pages' policy.
 */
export const DOCS_CONTENT_SECURITY_POLICY = [
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

interface QuerySchema { required?: string[], properties?: Record<string, { default?: unknown }> }

// TypeBox lists a property with a default as required (it always holds a value once validated);
// a client may leave it out, so the document must not call it required.
const transform: FastifyDynamicSwaggerOptions['transform'] = ({ schema, url }) => {
  const querystring = schema?.querystring as QuerySchema | undefined
  if (!querystring?.required || !querystring.properties) return { schema, url }
  const properties = querystring.properties
  const required = querystring.required.filter((name) => properties[name]?.default === undefined)
  return { schema: { ...schema, querystring: { ...querystring, required } }, url }
}

/** Registers the document generator; must come before the routes it describes. */
export async function registerOpenApi (app: FastifyInstance): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'ghusers',
        version,
        description: 'An open directory of GitHub accounts: filtered, ordered pages of profiles.\n\n' +
          'Every successful GET carries an `ETag` and `Cache-Control`; send the tag back in `If-None-Match` ' +
          'for a 304. Requests to /api are rate-limited per client (`x-ratelimit-*` headers, `retry-after` on a 429).'
      },
      tags: [
        { name: 'profiles', description: 'GitHub accounts' },
        { name: 'v3', description: "GitHub's own REST format under GitHub Enterprise Server's prefix, for Octokit, gh api and other GitHub clients" },
        { name: 'operations', description: 'Health and liveness of the service' }
      ]
    },
    transform
  })
}

/** Serves Swagger UI at /docs under its own, slightly relaxed, Content-Security-Policy. */
export async function registerDocs (app: FastifyInstance): Promise<void> {
  await app.register(fastifySwaggerUi, {
    routePrefix: DOCS_PREFIX,
    staticCSP: DOCS_CONTENT_SECURITY_POLICY,
    uiConfig: { validatorUrl: null, docExpansion: 'list', deepLinking: true, tryItOutEnabled: true },
    logLevel: 'warn'
  })
}
