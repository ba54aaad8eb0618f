// CORS: any origin may read /api (answers, errors and preflights), with the paging and caching
// headers exposed; nothing else on the site says anything cross-origin.
import type { LightMyRequestResponse } from 'fastify'
import { describe, expect, it } from 'vitest'
import { sampleAccountAt } from '../../../app/seed/sampleAccounts.js'
import { build, sampleDatabase } from '../../helpers/fixtures.js'

const app = await build(await sampleDatabase(60))
const ORIGIN = 'https://somewhere.example'

const fromElsewhere = (url: string, headers: Record<string, string> = {}) =>
  app.inject({ url, headers: { origin: ORIGIN, ...headers } })

function crossOriginHeaders (response: LightMyRequestResponse): string[] {
  return Object.keys(response.headers).filter((name) => name.startsWith('access-control-'))
}

describe('CORS on /api', () => {
  it.each([
    ['a page of profiles', '/api/users/profiles?pagination=5', 200],
    ['a profile', `/api/users/profiles/${sampleAccountAt(2).id}`, 200],
    ['a 400', '/api/users/profiles?pagination=500', 400],
    ['a 404', '/api/users/profiles/999999999', 404],
    ['a 404 of an unknown path', '/api/nope', 404],
    ['the 400 of a malformed URL', '/api/users/profiles/%E0%A4%A', 400]
  ])('lets any origin read %s and its paging and caching headers', async (_kind, url, status) => {
    const response = await fromElsewhere(url)
    expect(response.statusCode).toBe(status)
    expect(response.headers['access-control-allow-origin']).toBe('*')
    expect(response.headers['access-control-allow-credentials']).toBeUndefined()
    const exposed = String(response.headers['access-control-expose-headers']).split(/,\s*/).map((name) => name.toLowerCase())
    expect(exposed).toEqual(expect.arrayContaining(['link', 'x-total-count', 'etag']))
  })

  it('lets any origin read a 304', async () => {
    const { headers } = await fromElsewhere('/api/users/profiles')
    const response = await fromElsewhere('/api/users/profiles', { 'if-none-match': headers.etag as string })
    expect(response.statusCode).toBe(304)
    expect(response.headers['access-control-allow-origin']).toBe('*')
  })

  it.each(['/api/users/profiles', `/api/users/profiles/${sampleAccountAt(2).id}`])('answers the preflight of %s', async (url) => {
    const response = await app.inject({
      method: 'OPTIONS',
      url,
      headers: { origin: ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': 'if-none-match' }
    })
    expect(response.statusCode).toBe(204)
    expect(response.headers['access-control-allow-origin']).toBe('*')
    expect(String(response.headers['access-control-allow-methods']).split(/,\s*/)).toContain('GET')
    expect(Number(response.headers['access-control-max-age'])).toBeGreaterThan(0)
    expect(response.body).toBe('')
  })

  it.each([
    ['no Origin', { 'access-control-request-method': 'GET' }],
    ['no Access-Control-Request-Method', { origin: ORIGIN }],
    ['neither', {}]
  ])('answers an OPTIONS with %s like a preflight, not with an error in plain text', async (_kind, headers) => {
    const response = await app.inject({ method: 'OPTIONS', url: '/api/users/profiles', headers })
    expect(response.statusCode).toBe(204)
    expect(response.headers['access-control-allow-origin']).toBe('*')
    expect(String(response.headers['access-control-allow-methods']).split(/,\s*/)).toContain('GET')
    expect(response.body).toBe('')
  })
})

describe('no CORS outside /api', () => {
  it.each(['/', '/users/2', '/users/99', '/users?pagination=500', '/no/such/page', '/users/%E0%A4%A',
    '/static/css/app.css', '/health', '/ping', '/docs', '/metrics'])('on %s', async (url) => {
    const response = await fromElsewhere(url)
    expect(crossOriginHeaders(response)).toEqual([])
  })

  it('answers no preflight for a page', async () => {
    const response = await app.inject({
      method: 'OPTIONS', url: '/users', headers: { origin: ORIGIN, 'access-control-request-method': 'GET' }
    })
    expect(response.statusCode).toBe(404)
    expect(crossOriginHeaders(response)).toEqual([])
  })
})
