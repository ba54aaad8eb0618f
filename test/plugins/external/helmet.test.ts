// Security headers on every kind of response: a strict CSP (relaxed only on /docs, only for
// inline styles), nosniff, frame denial and a referrer policy.
import type { LightMyRequestResponse } from 'fastify'
import { describe, expect, it } from 'vitest'
import { sampleAccountAt } from '../../../app/seed/sampleAccounts.js'
import { build, sampleDatabase } from '../../helpers/fixtures.js'

const app = await build(await sampleDatabase(60))
const AVATARS = 'https://avatars.githubusercontent.com'

/** The policy as {directive: sources}. */
function directives (policy: string | undefined): Record<string, string[]> {
  expect(policy, 'a Content-Security-Policy header').toBeTypeOf('string')
  return Object.fromEntries(policy!.split(';').map((part) => part.trim()).filter(Boolean).map((part) => {
    const [name, ...sources] = part.split(/\s+/)
    return [name!, sources]
  }))
}

function expectFrameAndSniffingHeaders (response: LightMyRequestResponse): void {
  expect(response.headers['x-content-type-options']).toBe('nosniff')
  expect(response.headers['x-frame-options']).toBe('DENY')
  expect(response.headers['referrer-policy']).toBe('no-referrer')
}

const RESPONSES: Array<[string, string, number, Record<string, string>?]> = [
  ['the home page', '/', 200],
  ['a users page', '/users/2?order_by=-username', 200],
  ['a 304 of a page', '/users', 304],
  ['the 400 page', '/users?pagination=500', 400],
  ['the 404 page of a page past the end', '/users/99', 404],
  ['the 404 page of an unknown path', '/no/such/page', 404],
  ['the 400 page of a malformed URL', '/users/%E0%A4%A', 400],
  ['API JSON', '/api/users/profiles?pagination=3', 200],
  ['a profile', `/api/users/profiles/${sampleAccountAt(1).id}`, 200],
  ['a 304 of the API', '/api/users/profiles', 304],
  ['an API 400', '/api/users/profiles?pagination=500', 400],
  ['an API 404', '/api/users/profiles/999999999', 404],
  ['an API 404 of an unknown path', '/api/nope', 404],
  ['the API 400 of a malformed URL', '/api/users/profiles/%E0%A4%A', 400],
  ['the API 400 of an over-long path segment', `/api/users/profiles/${'1'.repeat(300)}`, 400],
  ['our stylesheet', '/static/css/app.css', 200],
  ['Bootstrap', '/static/bootstrap/css/bootstrap.min.css', 200],
  ['a missing static file', '/static/nope.css', 404],
  ['/health', '/health', 200],
  ['/ping', '/ping', 200],
  ['/metrics', '/metrics', 200],
  ['/openapi.json', '/openapi.json', 200]
]

/** A 304 needs the tag the first answer carried. */
async function answer (url: string, status: number): Promise<LightMyRequestResponse> {
  if (status !== 304) return app.inject(url)
  const { headers } = await app.inject(url)
  return app.inject({ url, headers: { 'if-none-match': headers.etag as string } })
}

describe('security headers', () => {
  it.each(RESPONSES)('are on %s', async (_kind, url, status) => {
    const response = await answer(url, status)
    expect(response.statusCode).toBe(status)
    expectFrameAndSniffingHeaders(response)
    const policy = directives(response.headers['content-security-policy'] as string)
    expect(policy['default-src']).toEqual(["'self'"])
    expect(policy['script-src']).toEqual(["'self'"])
    expect(policy['style-src']).toEqual(["'self'"])
    expect(policy['img-src']).toEqual(expect.arrayContaining(["'self'", AVATARS]))
    expect(policy['object-src']).toEqual(["'none'"])
    expect(policy['frame-ancestors']).toEqual(["'none'"])
    expect(policy['base-uri']).toEqual(["'none'"])
    expect(response.headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval|\*/)
    // The id it is logged under, even for the answers no hook sees (unroutable URLs).
    expect(response.headers['x-request-id']).toMatch(/^[\w.:-]+$/)
  })

  it.each(['/docs', '/docs/', '/docs/static/swagger-ui.css', '/docs/static/swagger-initializer.js'])(
    'relax only style-src on %s, with \'unsafe-inline\' for Swagger UI\'s style attributes', async (url) => {
      const response = await app.inject(url)
      expect(response.statusCode).toBe(200)
      expectFrameAndSniffingHeaders(response)
      const policy = directives(response.headers['content-security-policy'] as string)
      expect(policy['style-src']).toEqual(["'self'", "'unsafe-inline'"])
      expect(policy['default-src']).toEqual(["'self'"])
      expect(policy['script-src']).toEqual(["'self'"])
      expect(policy['object-src']).toEqual(["'none'"])
      expect(policy['frame-ancestors']).toEqual(["'none'"])
      const unsafe = Object.entries(policy).filter(([, sources]) => sources.some((source) => source.startsWith("'unsafe-")))
      expect(unsafe.map(([name]) => name)).toEqual(['style-src'])
    })

  it('are the same on every response outside /docs (computed once, not per request)', async () => {
    const policies = new Set<string>()
    for (const [, url, status] of RESPONSES) policies.add((await answer(url, status)).headers['content-security-policy'] as string)
    expect(policies.size).toBe(1)
  })
})
