// GET /openapi.json: a valid OpenAPI 3 document of the API with every parameter's bounds and
// defaults and every response; GET /docs: Swagger UI with its assets served by the app itself.
import SwaggerParser from '@apidevtools/swagger-parser'
import { parse } from 'node-html-parser'
import { describe, expect, it } from 'vitest'
import { build, sampleDatabase } from '../../helpers/fixtures.js'

const app = await build(await sampleDatabase(30))

interface Parameter { name: string, in: string, required?: boolean, schema: Record<string, unknown> }
interface Operation {
  operationId?: string
  parameters?: Parameter[]
  responses: Record<string, { description: string, content?: Record<string, { schema: { required?: string[], properties?: Record<string, unknown> } }> }>
}
interface OpenApiDocument { openapi: string, info: { title: string, version: string }, paths: Record<string, Record<string, Operation>> }

const response = await app.inject('/openapi.json')
const doc = response.json<OpenApiDocument>()
const MAX_ID = 9007199254740991

const LIST = '/api/users/profiles'
const ONE = '/api/users/profiles/{id}'
const ERROR_FIELDS = ['statusCode', 'error', 'message']

function parametersOf (path: string): Record<string, Parameter> {
  const operation = doc.paths[path]?.get
  expect(operation, `GET ${path} in the document`).toBeDefined()
  return Object.fromEntries((operation!.parameters ?? []).map((parameter) => [parameter.name, parameter]))
}

describe('GET /openapi.json', () => {
  it('is JSON, never cached, and a valid OpenAPI 3 document', async () => {
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toContain('application/json')
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/)
    expect(doc.info).toMatchObject({ title: 'ghusers', version: expect.any(String) })
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined()
    // The validator is a real one: a parameter in no valid place fails it.
    const broken = structuredClone(doc)
    broken.paths[ONE]!.get!.parameters![0]!.in = 'body'
    await expect(SwaggerParser.validate(broken as never)).rejects.toThrow()
  })

  it('documents both API routes, and leaves the HTML pages out', () => {
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining([LIST, ONE]))
    expect(Object.keys(doc.paths).filter((path) => path === '/' || path.startsWith('/users'))).toEqual([])
    expect(Object.keys(doc.paths[LIST]!)).toEqual(['get'])
  })

  it('lists every query parameter of the list with its type, bounds and default, none required', () => {
    const parameters = parametersOf(LIST)
    expect(Object.keys(parameters).sort()).toEqual(['after', 'id', 'order_by', 'page', 'pagination', 'type', 'username'])
    for (const parameter of Object.values(parameters)) {
      expect(parameter.in, parameter.name).toBe('query')
      expect(parameter.required ?? false, `${parameter.name} is optional`).toBe(false)
    }
    expect(parameters.page!.schema).toMatchObject({ type: 'integer', minimum: 1, default: 1 })
    expect(parameters.pagination!.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 100, default: 25 })
    expect(parameters.order_by!.schema).toMatchObject({ default: 'id' })
    expect(parameters.order_by!.schema.enum).toEqual(['id', '-id', 'username', '-username', 'type', '-type'])
    expect(parameters.username!.schema).toMatchObject({ type: 'string', minLength: 1, maxLength: 39 })
    expect(parameters.username!.schema.default).toBeUndefined()
    expect(parameters.id!.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: MAX_ID })
    expect(parameters.type!.schema.enum).toEqual(['User', 'Organization', 'Bot'])
  })

  it('documents the profile route\'s id as a required path parameter with its bounds', () => {
    const parameters = parametersOf(ONE)
    expect(Object.keys(parameters)).toEqual(['id'])
    expect(parameters.id).toMatchObject({ in: 'path', required: true, schema: { type: 'integer', minimum: 1, maximum: MAX_ID } })
  })

  it.each([LIST, ONE])('documents every status of GET %s with its body', (path) => {
    const { responses } = doc.paths[path]!.get!
    expect(Object.keys(responses).sort()).toEqual(['200', '304', '400', '404', '429', '500'])
    for (const [status, documented] of Object.entries(responses)) {
      expect(documented.description, status).toMatch(/\w/)
      if (status === '304') {
        expect(documented.content, '304 has no body').toBeUndefined()
        continue
      }
      const schema = documented.content?.['application/json']?.schema
      expect(schema, `${status}'s JSON body`).toBeDefined()
      if (status !== '200') expect(schema!.required).toEqual(ERROR_FIELDS)
    }
    const ok = responses['200']!.content!['application/json']!.schema
    expect(ok.required).toEqual(path === LIST
      ? ['page', 'pagination', 'total', 'pages', 'order_by', 'results', 'links', 'next_cursor']
      : ['id', 'username', 'avatar_url', 'type', 'url'])
  })

  it('is the document Swagger UI loads', async () => {
    expect((await app.inject('/docs/json')).json()).toEqual(doc)
  })
})

describe('GET /docs', () => {
  it.each(['/docs', '/docs/'])('%s answers Swagger UI\'s page, whose scripts and styles the app serves from /docs/static/', async (url) => {
    const page = await app.inject(url)
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    const html = parse(page.body)
    const assets = [
      ...html.querySelectorAll('script[src]').map((element) => element.getAttribute('src')!),
      ...html.querySelectorAll('link[rel=stylesheet]').map((element) => element.getAttribute('href')!)
    ]
    expect(html.querySelectorAll('script:not([src])'), 'no inline script').toHaveLength(0)
    expect(assets.length).toBeGreaterThanOrEqual(3)
    for (const asset of assets) {
      const path = new URL(asset, `http://localhost${url.endsWith('/') ? url : `${url}/`}`).pathname
      expect(path, asset).toMatch(/^\/docs\/static\//)
      const served = await app.inject(path)
      expect(served.statusCode, path).toBe(200)
      expect(served.headers['content-type'], path).toMatch(path.endsWith('.css') ? /^text\/css/ : /^application\/javascript/)
      expect(served.body.length, path).toBeGreaterThan(100)
    }
  })
})
