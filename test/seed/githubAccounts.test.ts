// Tests of the GitHub source of the seed CLI against a fake GitHub API served over real HTTP.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest'
import {
  githubAccounts,
  GitHubRateLimitError,
  GitHubUnavailableError,
  type GitHubAccountsOptions
} from '../../app/seed/githubAccounts.js'
import type { Profile } from '../../app/schemas/profiles.js'

interface RecordedRequest { path: string, query: URLSearchParams, headers: IncomingHttpHeaders }
type Route = (request: RecordedRequest, response: ServerResponse, attempt: number) => void

// 250 accounts with gaps between ids, like GitHub's.
const ACCOUNTS = Array.from({ length: 250 }, (_, index) => {
  const id = index * 3 + 1
  const login = `user${id}`
  return {
    id,
    login,
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    type: index % 10 === 0 ? 'Organization' : 'User',
    html_url: `https://github.com/${login}`,
    site_admin: false
  }
})

let server: Server
let baseUrl: string
let route: Route
let requests: RecordedRequest[]

function listen (target: Server): Promise<string> {
  return new Promise((resolve) => {
    target.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(target.address() as AddressInfo).port}`))
  })
}

function close (target: Server): Promise<void> {
  target.closeAllConnections()
  return new Promise((resolve) => target.close(() => resolve()))
}

function fakeGitHub (handle: () => Route): Server {
  const fake = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    const recorded = { path: url.pathname, query: url.searchParams, headers: request.headers }
    requests.push(recorded)
    handle()(recorded, response, requests.length)
  })
  return fake
}

function sendJson (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
  response.end(JSON.stringify(body))
}

/** GitHub's GET /users: accounts after `since`, a page at a time, with a next link while more remain. */
const usersRoute: Route = (request, response) => {
  const since = Number(request.query.get('since') ?? 0)
  const perPage = Number(request.query.get('per_page') ?? 30)
  const page = ACCOUNTS.filter((account) => account.id > since).slice(0, perPage)
  const last = page.at(-1)
  const more = last !== undefined && ACCOUNTS.some((account) => account.id > last.id)
  const headers: Record<string, string> = more
    ? { link: `<${baseUrl}/users?since=${last.id}&per_page=${perPage}>; rel="next", <${baseUrl}/users{?since}>; rel="first"` }
    : {}
  sendJson(response, 200, page, headers)
}

function options (overrides: Partial<GitHubAccountsOptions> = {}): GitHubAccountsOptions & { slept: number[], waits: string[] } {
  const slept: number[] = []
  const waits: string[] = []
  return {
    apiUrl: baseUrl,
    since: 0,
    total: 250,
    maxWaitSeconds: 60,
    backoffMs: 1,
    sleep: async (ms) => { slept.push(ms) },
    onWait: (message) => { waits.push(message) },
    slept,
    waits,
    ...overrides
  }
}

async function collect (batches: AsyncGenerator<Profile[]>): Promise<Profile[][]> {
  const collected: Profile[][] = []
  for await (const batch of batches) collected.push(batch)
  return collected
}

async function failure (batches: AsyncGenerator<Profile[]>): Promise<unknown> {
  try {
    await collect(batches)
  } catch (error) {
    return error
  }
  throw new Error('expected the generator to fail')
}

const epochSeconds = (): number => Math.floor(Date.now() / 1000)

beforeAll(async () => {
  server = fakeGitHub(() => route)
  baseUrl = await listen(server)
})

afterAll(async () => {
  await close(server)
})

beforeEach(() => {
  route = usersRoute
  requests = []
})

describe('githubAccounts pagination', () => {
  it('follows the Link rel="next" header across pages and maps accounts to profiles', async () => {
    const batches = await collect(githubAccounts(options()))

    expect(batches.map((batch) => batch.length)).toEqual([100, 100, 50])
    expect(batches.flat().map((profile) => profile.id)).toEqual(ACCOUNTS.map((account) => account.id))
    expect(batches[0]?.[0]).toEqual({
      id: 1,
      username: 'user1',
      avatar_url: 'https://avatars.githubusercontent.com/u/1?v=4',
      type: 'Organization',
      url: 'https://github.com/user1'
    })
    expect(requests.map((request) => request.query.get('since'))).toEqual(['0', '298', '598'])
    expect(requests.every((request) => request.path === '/users' && request.query.get('per_page') === '100')).toBe(true)
  })

  it('stops once `total` accounts were yielded, truncating the last batch', async () => {
    const batches = await collect(githubAccounts(options({ total: 150 })))

    expect(batches.map((batch) => batch.length)).toEqual([100, 50])
    expect(batches.flat().at(-1)?.id).toBe(ACCOUNTS[149]?.id)
    expect(requests).toHaveLength(2)
  })

  it('starts after `since` and tolerates a trailing slash in the API URL', async () => {
    const batches = await collect(githubAccounts(options({ apiUrl: `${baseUrl}/`, since: 7, total: 3 })))

    expect(requests[0]?.path).toBe('/users')
    expect(requests[0]?.query.get('since')).toBe('7')
    expect(batches.flat().map((profile) => profile.id)).toEqual([10, 13, 16])
  })

  it('ends with what exists when GitHub has fewer accounts than asked for', async () => {
    const since = ACCOUNTS[239]?.id ?? 0
    const batches = await collect(githubAccounts(options({ since, total: 1000 })))

    expect(batches.flat().map((profile) => profile.id)).toEqual(ACCOUNTS.slice(240).map((account) => account.id))
    expect(requests).toHaveLength(1)
  })

  it('ends on an empty page even when it has a next link', async () => {
    route = (_request, response) => sendJson(response, 200, [], { link: `<${baseUrl}/users?since=9>; rel="next"` })

    expect(await collect(githubAccounts(options()))).toEqual([])
    expect(requests).toHaveLength(1)
  })

  it('parses Link headers with several links, unquoted and multi-valued rels and relative targets', async () => {
    route = (request, response) => {
      if (request.query.get('since') === '0') {
        sendJson(response, 200, ACCOUNTS.slice(0, 1), {
          link: `<${baseUrl}/users?since=0>; rel="prev first"; title="a, b; <c>", </users?since=1&page=x>; rel=next`
        })
      } else if (request.query.get('since') === '1') {
        sendJson(response, 200, ACCOUNTS.slice(1, 2), {
          link: `<${baseUrl}/nowhere>; title="rel=next", <${baseUrl}/users?since=4>; REL="last next"`
        })
      } else {
        sendJson(response, 200, ACCOUNTS.slice(2, 3))
      }
    }

    const batches = await collect(githubAccounts(options()))

    expect(batches.flat().map((profile) => profile.id)).toEqual([1, 4, 7])
    expect(requests.map((request) => `${request.path}?${request.query}`))
      .toEqual(['/users?since=0&per_page=100', '/users?since=1&page=x', '/users?since=4'])
  })

  it('falls back to the github.com profile URL when html_url is missing', async () => {
    route = (_request, response) => sendJson(response, 200, [{ id: 5, login: 'octo', avatar_url: 'https://a/5', type: 'Bot' }])

    const batches = await collect(githubAccounts(options()))

    expect(batches).toEqual([[{ id: 5, username: 'octo', avatar_url: 'https://a/5', type: 'Bot', url: 'https://github.com/octo' }]])
  })
})

describe('githubAccounts request headers', () => {
  it('sends the GitHub media type, a User-Agent and the API version, and no Authorization without a token', async () => {
    await collect(githubAccounts(options({ total: 1 })))

    const headers = requests[0]?.headers
    expect(headers?.accept).toBe('application/vnd.github+json')
    expect(headers?.['user-agent']).toMatch(/\S/)
    expect(headers?.['x-github-api-version']).toBe('2022-11-28')
    expect(headers?.authorization).toBeUndefined()
  })

  it('sends the token as a Bearer token on every page', async () => {
    await collect(githubAccounts(options({ token: 'ghp_secret' })))

    expect(requests).toHaveLength(3)
    expect(requests.map((request) => request.headers.authorization)).toEqual(Array(3).fill('Bearer ghp_secret'))
  })

  it('does not send the token to a next link on another origin', async () => {
    const otherRequests: RecordedRequest[] = []
    const other = createServer((request, response) => {
      otherRequests.push({ path: request.url ?? '', query: new URLSearchParams(), headers: request.headers })
      sendJson(response, 200, ACCOUNTS.slice(1, 2))
    })
    const otherUrl = await listen(other)
    try {
      route = (_request, response) => sendJson(response, 200, ACCOUNTS.slice(0, 1), { link: `<${otherUrl}/users?since=1>; rel="next"` })

      const batches = await collect(githubAccounts(options({ token: 'ghp_secret', total: 2 })))

      expect(batches.flat().map((profile) => profile.id)).toEqual([1, 4])
      expect(requests[0]?.headers.authorization).toBe('Bearer ghp_secret')
      expect(otherRequests[0]?.headers.authorization).toBeUndefined()
    } finally {
      await close(other)
    }
  })
})

describe('githubAccounts retries', () => {
  it('retries 5xx responses with a doubling backoff and then returns the right accounts', async () => {
    route = (request, response, attempt) => {
      if (attempt <= 2) sendJson(response, 500, { message: 'Server Error' })
      else usersRoute(request, response, attempt)
    }
    const settings = options({ total: 100 })

    const batches = await collect(githubAccounts(settings))

    expect(batches.flat().map((profile) => profile.id)).toEqual(ACCOUNTS.slice(0, 100).map((account) => account.id))
    expect(requests).toHaveLength(3)
    expect(settings.slept).toEqual([1, 2])
    expect(settings.waits[0]).toMatch(/HTTP 500.*retrying/)
  })

  it('gives up after retries + 1 attempts on a server that keeps failing', async () => {
    route = (_request, response) => sendJson(response, 503, { message: 'Unavailable' })
    const settings = options({ retries: 3 })

    const error = await failure(githubAccounts(settings))

    expect(error).toBeInstanceOf(GitHubUnavailableError)
    expect((error as Error).message).toMatch(/HTTP 503 after 4 attempts/)
    expect((error as Error).message).toMatch(/`--source sample`[^]*$/)
    expect(requests).toHaveLength(4)
    expect(settings.slept).toEqual([1, 2, 4])
  })

  it('retries a request that times out', async () => {
    route = (request, response, attempt) => {
      if (attempt === 1) setTimeout(() => usersRoute(request, response, attempt), 500)
      else usersRoute(request, response, attempt)
    }

    const batches = await collect(githubAccounts(options({ total: 10, requestTimeoutMs: 50 })))

    expect(batches.flat()).toHaveLength(10)
    expect(requests).toHaveLength(2)
  })

  it('names ECONNREFUSED and suggests the sample source when nothing listens', async () => {
    const closed = createServer()
    const closedUrl = await listen(closed)
    await close(closed)
    const settings = options({ apiUrl: closedUrl, retries: 2 })

    const error = await failure(githubAccounts(settings))

    expect(error).toBeInstanceOf(GitHubUnavailableError)
    expect((error as Error).message).toContain('ECONNREFUSED')
    expect((error as Error).message).toContain('after 3 attempts')
    expect((error as Error).message).toContain('--source sample')
    expect(settings.slept).toEqual([1, 2])
  })

  it('rejects an API URL that is not a URL without a request', async () => {
    const error = await failure(githubAccounts(options({ apiUrl: 'not a url' })))

    expect(error).toBeInstanceOf(GitHubUnavailableError)
    expect((error as Error).message).toContain('--source sample')
  })
})

describe('githubAccounts rate limits', () => {
  it('waits out a short primary rate limit and retries the same URL, outside the retry budget', async () => {
    const reset = epochSeconds() + 1
    route = (request, response, attempt) => {
      if (attempt === 2) {
        sendJson(response, 403, { message: 'API rate limit exceeded for 127.0.0.1.' }, {
          'x-ratelimit-limit': '60',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(reset)
        })
      } else {
        usersRoute(request, response, attempt)
      }
    }
    const settings = options({ total: 200, retries: 0 })

    const batches = await collect(githubAccounts(settings))

    expect(batches.map((batch) => batch.length)).toEqual([100, 100])
    expect(requests.map((request) => request.query.get('since'))).toEqual(['0', '298', '298'])
    expect(settings.slept).toHaveLength(1)
    expect(settings.slept[0]).toBeGreaterThanOrEqual(1000)
    expect(settings.slept[0]).toBeLessThanOrEqual(3000)
    expect(settings.waits[0]).toContain(new Date(reset * 1000).toISOString().replace('.000Z', 'Z'))
  })

  it('stops with the reset time when the rate limit lasts longer than maxWaitSeconds', async () => {
    const reset = epochSeconds() + 3600
    route = (_request, response) => sendJson(response, 403, { message: 'API rate limit exceeded' }, {
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String(reset)
    })
    const settings = options({ maxWaitSeconds: 60 })

    const error = await failure(githubAccounts(settings))

    expect(error).toBeInstanceOf(GitHubRateLimitError)
    const isoReset = new Date(reset * 1000).toISOString().replace('.000Z', 'Z')
    expect((error as GitHubRateLimitError).message).toContain(isoReset)
    expect((error as GitHubRateLimitError).message).toMatch(/rate limit/i)
    expect((error as GitHubRateLimitError).message).toContain('GITHUB_TOKEN')
    expect((error as GitHubRateLimitError).message).toContain('--source sample')
    expect((error as GitHubRateLimitError).resetAt?.getTime()).toBe(reset * 1000)
    expect(settings.slept).toEqual([])
    expect(requests).toHaveLength(1)
  })

  it('honours retry-after on a 429', async () => {
    route = (request, response, attempt) => {
      if (attempt === 1) sendJson(response, 429, { message: 'Too Many Requests' }, { 'retry-after': '2' })
      else usersRoute(request, response, attempt)
    }
    const settings = options({ total: 5 })

    const batches = await collect(githubAccounts(settings))

    expect(batches.flat()).toHaveLength(5)
    expect(settings.slept).toEqual([2000])
    expect(settings.waits[0]).toMatch(/rate limit.*429.*2 s/)
  })

  it('waits a minute on a secondary rate limit that gives no time, if allowed', async () => {
    route = (request, response, attempt) => {
      if (attempt === 1) {
        sendJson(response, 403, { message: 'You have exceeded a secondary rate limit.' }, { 'x-ratelimit-remaining': '42' })
      } else {
        usersRoute(request, response, attempt)
      }
    }
    const settings = options({ total: 1 })

    await collect(githubAccounts(settings))

    expect(settings.slept).toEqual([60_000])
  })

  it('gives up after a bounded number of rate-limit waits', async () => {
    route = (_request, response) => sendJson(response, 429, { message: 'slow down' }, { 'retry-after': '1' })

    const error = await failure(githubAccounts(options()))

    expect(error).toBeInstanceOf(GitHubRateLimitError)
    expect(requests).toHaveLength(11)
  })
})

describe('githubAccounts unexpected answers', () => {
  it('reports a 403 that is not a rate limit with GitHub\'s message, without retrying', async () => {
    route = (_request, response) => sendJson(response, 403, { message: 'Resource protected by organization SAML enforcement.' }, {
      'x-ratelimit-remaining': '4999'
    })

    const error = await failure(githubAccounts(options()))

    expect(error).toBeInstanceOf(GitHubUnavailableError)
    expect((error as Error).message).toContain('HTTP 403')
    expect((error as Error).message).toContain('SAML enforcement')
    expect(requests).toHaveLength(1)
  })

  it('reports other 4xx answers without retrying', async () => {
    route = (_request, response) => sendJson(response, 404, { message: 'Not Found' })

    const error = await failure(githubAccounts(options()))

    expect(error).toBeInstanceOf(GitHubUnavailableError)
    expect((error as Error).message).toMatch(/HTTP 404.*Not Found/)
    expect(requests).toHaveLength(1)
  })

  it.each([
    ['an object instead of an array', JSON.stringify({ users: [] })],
    ['text that is not JSON', '<html>proxy error</html>'],
    ['an account without a login', JSON.stringify([{ id: 1, avatar_url: 'https://a/1', type: 'User' }])],
    ['an account with a negative id', JSON.stringify([{ id: -1, login: 'x', avatar_url: 'https://a/1', type: 'User' }])],
    ['an account with a fractional id', JSON.stringify([{ id: 1.5, login: 'x', avatar_url: 'https://a/1', type: 'User' }])],
    ['an account with an empty type', JSON.stringify([{ id: 1, login: 'x', avatar_url: 'https://a/1', type: '' }])],
    ['a null item', JSON.stringify([null])]
  ])('reports a malformed body (%s) as an unexpected response', async (_name, body) => {
    route = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(body)
    }

    const error = await failure(githubAccounts(options()))

    expect(error).toBeInstanceOf(GitHubUnavailableError)
    expect((error as Error).message).toMatch(/unexpected response/i)
    expect(requests).toHaveLength(1)
  })
})
