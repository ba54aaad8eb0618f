// The GitHub-compatible API (/api/v3) through inject and through the real Octokit over HTTP, on a
// sample file and on the hostile-names file.
import { Octokit } from '@octokit/core'
import { paginateRest } from '@octokit/plugin-paginate-rest'
import { RequestError } from '@octokit/request-error'
import BetterSqlite3 from 'better-sqlite3'
import type { FastifyInstance } from 'fastify'
import { describe, expect, it } from 'vitest'
import type { Profile } from '../../../app/schemas/profiles.js'
import { build, contractOnlyDatabase, HOSTILE_PROFILES, sampleDatabase } from '../../helpers/fixtures.js'
import { freePort } from '../../helpers/freePort.js'

const PUBLIC_URL = 'https://ghusers.example.org'
const PagingOctokit = Octokit.plugin(paginateRest)

/** Every row of the file's users table, in id order, as another tool would read it. */
function fileProfiles (databasePath: string): Profile[] {
  const db = new BetterSqlite3(databasePath, { readonly: true })
  try {
    return db.prepare('SELECT id, username, avatar_url, type, url FROM users ORDER BY id').all() as Profile[]
  } finally {
    db.close()
  }
}

/** The app on `databasePath`, listening on 127.0.0.1, with PUBLIC_URL its own address; an Octokit pointed at it. */
async function listening (databasePath: string): Promise<{ app: FastifyInstance, octokit: InstanceType<typeof PagingOctokit>, publicUrl: string }> {
  const port = await freePort()
  const publicUrl = `http://127.0.0.1:${port}`
  const app = await build(databasePath, { publicUrl })
  await app.listen({ port, host: '127.0.0.1' })
  return { app, octokit: new PagingOctokit({ baseUrl: `${publicUrl}/api/v3` }), publicUrl }
}

const githubUser = (profile: Profile, publicUrl: string) => ({
  login: profile.username,
  id: profile.id,
  avatar_url: profile.avatar_url,
  url: `${publicUrl}/api/v3/users/${encodeURIComponent(profile.username)}`,
  html_url: profile.url,
  type: profile.type
})

describe('GET /api/v3/users', async () => {
  const databasePath = await sampleDatabase(250)
  const profiles = fileProfiles(databasePath)
  const app = await build(databasePath, { publicUrl: PUBLIC_URL })

  it('answers 30 accounts after id 0 by default, as GitHub user objects with only the fields held', async () => {
    const response = await app.inject('/api/v3/users')
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(response.headers['cache-control']).toBe('public, max-age=60')
    expect(response.headers.etag).toMatch(/^"[\w-]+"$/)
    expect(response.json()).toEqual(profiles.slice(0, 30).map((profile) => githubUser(profile, PUBLIC_URL)))
    expect(Object.keys(response.json()[0])).toEqual(['login', 'id', 'avatar_url', 'url', 'html_url', 'type'])
    expect(response.headers.link).toBe(`<${PUBLIC_URL}/api/v3/users?since=${profiles[29]!.id}&per_page=30>; rel="next"`)
  })

  it('starts after `since` and takes `per_page` up to 100', async () => {
    const since = profiles[99]!.id
    const response = await app.inject(`/api/v3/users?since=${since}&per_page=100`)
    expect(response.json().map((user: { id: number }) => user.id)).toEqual(profiles.slice(100, 200).map((profile) => profile.id))
    expect(response.headers.link).toBe(`<${PUBLIC_URL}/api/v3/users?since=${profiles[199]!.id}&per_page=100>; rel="next"`)
  })

  it('starts after an id that no account has, and has no next link on the last page', async () => {
    const since = profiles[239]!.id + 1
    const response = await app.inject(`/api/v3/users?since=${since}&per_page=100`)
    expect(response.json().map((user: { id: number }) => user.id)).toEqual(profiles.filter((profile) => profile.id > since).map((profile) => profile.id))
    expect(response.headers.link).toBeUndefined()
    const full = await app.inject(`/api/v3/users?since=${profiles[239]!.id}&per_page=10`)
    expect(full.json()).toHaveLength(10)
    expect(full.headers.link).toBeUndefined()
    const past = await app.inject(`/api/v3/users?since=${profiles.at(-1)!.id}`)
    expect(past.statusCode).toBe(200)
    expect(past.json()).toEqual([])
  })

  it('builds its absolute URLs from PUBLIC_URL, never from the Host header', async () => {
    const response = await app.inject({ url: '/api/v3/users?per_page=1', headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example' } })
    expect(response.headers.link).toContain(`<${PUBLIC_URL}/api/v3/users?`)
    expect(response.body).not.toContain('evil.example')
  })

  it.each(['/api/v3/users/%E0%A4%A', `/api/v3/users/${'a'.repeat(300)}`])('answers the URL the router cannot take, %s, with a 400 in GitHub\'s error shape', async (url) => {
    const response = await app.inject(url)
    expect(response.statusCode).toBe(400)
    expect(response.headers['cache-control']).toBe('no-store')
    const body = response.json()
    expect(Object.keys(body).sort()).toEqual(['documentation_url', 'message', 'status'])
    expect(body.status).toBe('400')
  })

  it('ignores parameters it does not know, as GitHub does', async () => {
    const response = await app.inject('/api/v3/users?per_page=2&page=7&utm_source=x')
    expect(response.statusCode).toBe(200)
    expect(response.json()).toHaveLength(2)
  })

  it.each([
    ['since=-1', 'since'], ['since=abc', 'since'], ['since=1e3', 'since'], ['since=9007199254740992', 'since'],
    ['since=1&since=2', 'since'], ['per_page=0', 'per_page'], ['per_page=101', 'per_page'], ['per_page=%205', 'per_page'],
    ['per_page=2.5', 'per_page']
  ])('answers ?%s with a 400 in GitHub\'s error shape naming %s', async (query, name) => {
    const response = await app.inject(`/api/v3/users?${query}`)
    expect(response.statusCode).toBe(400)
    expect(response.headers['cache-control']).toBe('no-store')
    const body = response.json()
    expect(Object.keys(body).sort()).toEqual(['documentation_url', 'message', 'status'])
    expect(body.status).toBe('400')
    expect(body.message).toContain(`'${name}'`)
    expect(body.documentation_url).toMatch(/^https:\/\/docs\.github\.com\//)
  })

  it('answers a matching If-None-Match with a 304, and a foreign tag with a 200', async () => {
    const first = await app.inject('/api/v3/users?per_page=5')
    const again = await app.inject({ url: '/api/v3/users?per_page=5', headers: { 'if-none-match': first.headers.etag as string } })
    expect(again.statusCode).toBe(304)
    expect(again.body).toBe('')
    expect(again.headers['cache-control']).toBe('public, max-age=60')
    const other = await app.inject({ url: '/api/v3/users?per_page=6', headers: { 'if-none-match': first.headers.etag as string } })
    expect(other.statusCode).toBe(200)
  })

  it('is in the OpenAPI document under its own tag', async () => {
    const document = (await app.inject('/openapi.json')).json()
    expect(document.tags.map((tag: { name: string }) => tag.name)).toContain('v3')
    expect(document.paths['/api/v3/users'].get.tags).toEqual(['v3'])
    expect(document.paths['/api/v3/users/{login}'].get.tags).toEqual(['v3'])
  })
})

describe('GET /api/v3/users/{login}', async () => {
  const databasePath = await sampleDatabase(50)
  const profiles = fileProfiles(databasePath)
  const app = await build(databasePath, { publicUrl: PUBLIC_URL })

  it('answers the account whatever the case of the login', async () => {
    const profile = profiles[7]!
    const mixed = [...profile.username].map((char, index) => index % 2 ? char.toUpperCase() : char.toLowerCase()).join('')
    const response = await app.inject(`/api/v3/users/${mixed}`)
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual(githubUser(profile, PUBLIC_URL))
    expect(response.headers.etag).toBeDefined()
  })

  it('answers an unknown login with GitHub\'s 404', async () => {
    const response = await app.inject('/api/v3/users/nobody-has-this-login')
    expect(response.statusCode).toBe(404)
    expect(response.headers['cache-control']).toBe('no-store')
    expect(response.json()).toEqual({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest/users/users#get-a-user', status: '404' })
  })

  it('answers a path it does not know under /api/v3 with GitHub\'s 404', async () => {
    const response = await app.inject('/api/v3/repos/octocat/hello-world')
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' })
  })

  it('sends the rate limit in GitHub\'s names: limit, remaining, used, and the reset as epoch seconds', async () => {
    const limited = await build(databasePath, { publicUrl: PUBLIC_URL, rateLimit: { enabled: true, max: 5, windowSeconds: 60 } })
    const before = Math.floor(Date.now() / 1000)
    await limited.inject('/api/v3/users/x')
    const response = await limited.inject(`/api/v3/users/${profiles[0]!.username}`)
    expect(response.headers['x-ratelimit-limit']).toBe('5')
    expect(response.headers['x-ratelimit-remaining']).toBe('3')
    expect(response.headers['x-ratelimit-used']).toBe('2')
    const reset = Number(response.headers['x-ratelimit-reset'])
    expect(reset).toBeGreaterThanOrEqual(before + 60)
    expect(reset).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 61)
    for (let count = 0; count < 3; count++) await limited.inject('/api/v3/users')
    const refused = await limited.inject('/api/v3/users')
    expect(refused.statusCode).toBe(429)
    expect(refused.json()).toMatchObject({ status: '429', message: expect.stringMatching(/rate limit/i) })
    expect(refused.headers['x-ratelimit-remaining']).toBe('0')
    expect(refused.headers['x-ratelimit-used']).toBe('5')
    expect(Number(refused.headers['x-ratelimit-reset'])).toBeGreaterThanOrEqual(before + 60)
  })
})

describe('Octokit against /api/v3', () => {
  it('paginates GET /users over the whole file, id by id, following the Link header', async () => {
    const databasePath = await sampleDatabase(250)
    const { octokit } = await listening(databasePath)
    const pages: number[] = []
    const users = await octokit.paginate('GET /users', { per_page: 100 }, (response) => {
      pages.push(response.data.length)
      return response.data
    })
    expect(pages).toEqual([100, 100, 50])
    expect(users.map((user) => user.id)).toEqual(fileProfiles(databasePath).map((profile) => profile.id))
  })

  it('reads GET /users/{username} for a mixed-case login, and a 404 as a RequestError', async () => {
    const databasePath = await sampleDatabase(20)
    const profile = fileProfiles(databasePath)[3]!
    const { octokit, publicUrl } = await listening(databasePath)
    const { data, status } = await octokit.request('GET /users/{username}', { username: profile.username.toUpperCase() })
    expect(status).toBe(200)
    expect(data).toEqual(githubUser(profile, publicUrl))
    const error = await octokit.request('GET /users/{username}', { username: 'no-such-account' }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(RequestError)
    expect((error as RequestError).status).toBe(404)
    expect((error as RequestError).response?.data).toMatchObject({ message: 'Not Found', status: '404' })
  })

  it('walks and reads back every hostile login', async () => {
    const { octokit, publicUrl } = await listening(contractOnlyDatabase())
    const users = await octokit.paginate('GET /users', { per_page: 4 })
    expect(users).toEqual(HOSTILE_PROFILES.map((profile) => githubUser(profile, publicUrl)))
    for (const profile of HOSTILE_PROFILES) {
      const { data } = await octokit.request('GET /users/{username}', { username: profile.username })
      expect(data.id).toBe(profile.id)
      const { data: byUrl } = await octokit.request(`GET ${data.url}`)
      expect(byUrl).toEqual(data)
    }
    const upper = await octokit.request('GET /users/{username}', { username: 'alpha' })
    expect(upper.data.login).toBe('ALPHA')
  })
})
