// The /api rate limit: per-client budgets with x-ratelimit-* headers, a JSON 429 with retry-after,
// clients told apart by address (X-Forwarded-For only when a proxy is trusted), pages never limited,
// and no trace of it when it is off.
import type { FastifyInstance } from 'fastify'
import { describe, expect, it } from 'vitest'
import type { BuildAppConfig } from '../../../app/app.js'
import { createConfig } from '../../../app/config.js'
import { build, sampleDatabase } from '../../helpers/fixtures.js'
import { eventually } from '../../helpers/serverProcess.js'

const databasePath = await sampleDatabase(60)
const MAX = 3
const WINDOW = 60
const limited = (overrides: Partial<BuildAppConfig> = {}) =>
  build(databasePath, { rateLimit: { enabled: true, max: MAX, windowSeconds: WINDOW }, ...overrides })

const API = '/api/users/profiles?pagination=2'

function fromClient (app: FastifyInstance, url: string, remoteAddress: string, headers: Record<string, string> = {}) {
  return app.inject({ url, remoteAddress, headers })
}

/** Spends `client`'s whole budget on /api. */
async function exhaust (app: FastifyInstance, client: string, headers: Record<string, string> = {}) {
  for (let i = 0; i < MAX; i++) expect((await fromClient(app, API, client, headers)).statusCode).toBe(200)
}

describe('rate limit on', () => {
  it('counts down in x-ratelimit-* headers, then answers a JSON 429 with retry-after', async () => {
    const app = await limited()
    for (let i = 1; i <= MAX; i++) {
      const response = await fromClient(app, API, '192.0.2.1')
      expect(response.statusCode).toBe(200)
      expect(response.headers['x-ratelimit-limit']).toBe(String(MAX))
      expect(response.headers['x-ratelimit-remaining']).toBe(String(MAX - i))
      expect(Number(response.headers['x-ratelimit-reset'])).toBeGreaterThan(0)
      expect(Number(response.headers['x-ratelimit-reset'])).toBeLessThanOrEqual(WINDOW)
    }
    const refused = await fromClient(app, API, '192.0.2.1')
    expect(refused.statusCode).toBe(429)
    expect(refused.headers['content-type']).toContain('application/json')
    expect(refused.json()).toEqual({ statusCode: 429, error: 'Too Many Requests', message: expect.stringMatching(/\w/) })
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(WINDOW)
    expect(refused.headers['x-ratelimit-remaining']).toBe('0')
    expect(refused.headers['cache-control']).toBe('no-store')
    // A browser script must be able to read the refusal and its headers.
    expect(refused.headers['access-control-allow-origin']).toBe('*')
    expect(refused.headers['x-content-type-options']).toBe('nosniff')
  })

  it('limits every /api request, errors and unknown paths included, from one budget', async () => {
    const app = await limited()
    for (const url of ['/api/users/profiles/1', '/api/users/profiles?pagination=500', '/api/nope']) {
      expect((await fromClient(app, url, '192.0.2.2')).headers['x-ratelimit-limit']).toBe(String(MAX))
    }
    expect((await fromClient(app, '/api/users/profiles/1', '192.0.2.2')).statusCode).toBe(429)
  })

  it('gives each client address its own budget', async () => {
    const app = await limited()
    await exhaust(app, '192.0.2.3')
    expect((await fromClient(app, API, '192.0.2.3')).statusCode).toBe(429)
    const other = await fromClient(app, API, '192.0.2.4')
    expect(other.statusCode).toBe(200)
    expect(other.headers['x-ratelimit-remaining']).toBe(String(MAX - 1))
  })

  it('counts answers the result cache gives, as any other', async () => {
    const app = await limited()
    const url = '/api/users/profiles?username=a'
    const first = await fromClient(app, url, '192.0.2.9')
    expect((await fromClient(app, url, '192.0.2.9', { 'if-none-match': first.headers.etag as string })).statusCode).toBe(304)
    const again = await fromClient(app, url, '192.0.2.9')
    expect(again.statusCode).toBe(200)
    expect(again.headers['x-ratelimit-remaining']).toBe('0')
    expect((await fromClient(app, url, '192.0.2.9')).statusCode).toBe(429)
  })

  it('leaves CORS preflights out of the budget', async () => {
    const app = await limited()
    const preflight = () => app.inject({
      method: 'OPTIONS',
      url: API,
      remoteAddress: '192.0.2.10',
      headers: { origin: 'https://somewhere.example', 'access-control-request-method': 'GET' }
    })
    for (let i = 0; i < MAX + 2; i++) expect((await preflight()).statusCode).toBe(204)
    expect((await fromClient(app, API, '192.0.2.10')).headers['x-ratelimit-remaining']).toBe(String(MAX - 1))
  })

  it('never limits the pages, the static files or the operations routes', async () => {
    const app = await limited()
    await exhaust(app, '192.0.2.5')
    for (const url of ['/', '/users/2', '/static/css/app.css', '/health', '/ping', '/metrics', '/openapi.json', '/docs']) {
      for (let i = 0; i < MAX + 1; i++) {
        const response = await fromClient(app, url, '192.0.2.5')
        expect(response.statusCode, url).toBe(200)
        expect(response.headers['x-ratelimit-limit'], url).toBeUndefined()
      }
    }
  })

  it('with a trusted proxy, tells clients apart by X-Forwarded-For', async () => {
    const app = await limited({ trustProxy: true })
    const proxy = '10.0.0.1'
    await exhaust(app, proxy, { 'x-forwarded-for': '203.0.113.1' })
    expect((await fromClient(app, API, proxy, { 'x-forwarded-for': '203.0.113.1' })).statusCode).toBe(429)
    const other = await fromClient(app, API, proxy, { 'x-forwarded-for': '203.0.113.2' })
    expect(other.statusCode).toBe(200)
    expect(other.headers['x-ratelimit-remaining']).toBe(String(MAX - 1))
  })

  it('with one trusted hop, believes only the address that hop saw, not one a client made up', async () => {
    const app = await limited({ trustProxy: createConfig({ TRUST_PROXY: '1' }).trustProxy })
    for (let i = 0; i < MAX; i++) {
      const response = await fromClient(app, API, '10.0.0.1', { 'x-forwarded-for': `198.51.100.${i}, 203.0.113.9` })
      expect(response.statusCode).toBe(200)
    }
    expect((await fromClient(app, API, '10.0.0.1', { 'x-forwarded-for': '198.51.100.99, 203.0.113.9' })).statusCode).toBe(429)
    expect((await fromClient(app, API, '10.0.0.1', { 'x-forwarded-for': '203.0.113.10' })).statusCode).toBe(200)
  })

  it('without a trusted proxy, ignores X-Forwarded-For: a made-up address buys no new budget', async () => {
    const app = await limited({ trustProxy: false })
    for (let i = 0; i < MAX; i++) {
      expect((await fromClient(app, API, '192.0.2.6', { 'x-forwarded-for': `203.0.113.${i}` })).statusCode).toBe(200)
    }
    expect((await fromClient(app, API, '192.0.2.6', { 'x-forwarded-for': '203.0.113.99' })).statusCode).toBe(429)
  })

  it('takes its budget and window from RATE_LIMIT_MAX and RATE_LIMIT_WINDOW, and opens again after the window', async () => {
    const { rateLimit } = createConfig({ RATE_LIMIT: 'on', RATE_LIMIT_MAX: '2', RATE_LIMIT_WINDOW: '1' })
    const app = await build(databasePath, { rateLimit })
    for (let i = 0; i < 2; i++) {
      const response = await fromClient(app, API, '192.0.2.7')
      expect(response.headers['x-ratelimit-limit']).toBe('2')
      expect(Number(response.headers['x-ratelimit-reset'])).toBeLessThanOrEqual(1)
    }
    expect((await fromClient(app, API, '192.0.2.7')).statusCode).toBe(429)
    await eventually('the window to pass', async () => (await fromClient(app, API, '192.0.2.7')).statusCode === 200, 5_000)
  })
})

describe('rate limit off', () => {
  it('answers every request, with no x-ratelimit headers', async () => {
    const { rateLimit } = createConfig({ RATE_LIMIT: 'off', RATE_LIMIT_MAX: '1' })
    const app = await build(databasePath, { rateLimit })
    for (let i = 0; i < 5; i++) {
      const response = await fromClient(app, API, '192.0.2.8')
      expect(response.statusCode).toBe(200)
      expect(Object.keys(response.headers).filter((name) => name.startsWith('x-ratelimit') || name === 'retry-after')).toEqual([])
    }
  })
})
