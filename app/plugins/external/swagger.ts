// The OpenAPI 3 document (@fastify/swagger), generated from the routes' TypeBox schemas: registered
// before the routes it describes, served at /openapi.json and read by Swagger UI (swaggerUi.ts).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import fastifySwagger, { type FastifyDynamicSwaggerOptions } from '@fastify/swagger'
import fp from 'fastify-plugin'
import { PROJECT_ROOT } from '../../paths.js'

const { version } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }

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

export default fp(async (app) => {
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
}, { name: 'swagger', fastify: '5.x' })
