// The GitHub source of the seed CLI: GET /users through Octokit (paging, rate-limit waits, retries), as profiles.
import { setTimeout as delay } from 'node:timers/promises'
import { Octokit, type OctokitOptions } from '@octokit/core'
import { paginateRest } from '@octokit/plugin-paginate-rest'
import { retry } from '@octokit/plugin-retry'
import { throttling } from '@octokit/plugin-throttling'
import { RequestError } from '@octokit/request-error'
import type { Profile } from '../schemas/profiles.js'

export interface GitHubAccountsOptions {
  /** Base URL of the API, e.g. https://api.github.com; a trailing slash is tolerated. */
  apiUrl: string
  /** Sent as `Authorization: Bearer <token>` when set. */
  token?: string
  /** Start after this account id. */
  since: number
  /** Stop once this many accounts were yielded. */
  total: number
  /** Longest rate-limit wait to sit out, in seconds. */
  maxWaitSeconds: number
  /** Retries of 5xx responses, network errors and timeouts; default 4. */
  retries?: number
  /** First retry backoff, doubled each retry; default 500 ms. */
  backoffMs?: number
  /** Per-request timeout; default 30 s. */
  requestTimeoutMs?: number
  sleep?: (ms: number) => Promise<void>
  /** Told about every wait (rate limit or retry backoff). */
  onWait?: (message: string) => void
}

const SAMPLE_HINT = 'Use `--source sample` to seed without the network.'
const PAGE_SIZE = 100
// GitHub may keep answering "rate limited" after a reset; give up rather than loop forever.
const MAX_RATE_LIMIT_WAITS = 10
// The old seed's contract: 5xx and network errors are retried, a 4xx never (a rate limit is waited out instead).
const CLIENT_ERRORS = Array.from({ length: 100 }, (_, index) => 400 + index)
const GITHUB_HEADERS = { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' }

export class GitHubRateLimitError extends Error {
  override readonly name = 'GitHubRateLimitError'
  readonly resetAt: Date | undefined

  constructor (message: string, resetAt: Date | undefined) {
    super(message)
    this.resetAt = resetAt
  }
}

export class GitHubUnavailableError extends Error {
  override readonly name = 'GitHubUnavailableError'
}

/** A rate-limited answer, as the seed's plugin keeps it on its request for the throttling handlers (they get only the wait). */
interface RateLimited { status: number, resetAt: Date }
/** What the seed's plugin keeps on a request's `request` options between its attempts. */
interface AttemptState { failures?: number, rateLimited?: RateLimited }

interface SeedPluginOptions { retries: number, backoffMs: number, sleep: (ms: number) => Promise<void>, onWait: (message: string) => void }

/**
 * The seed's own Octokit plugin, innermost so that it sees every attempt: it pauses before
 * plugin-retry tries again (a doubling backoff through the caller's sleep, told to onWait), notes
 * a rate-limited answer's status and reset time, and names a 403/429 with retry-after or without
 * remaining 0 a secondary limit, as GitHub's docs do (plugin-throttling knows one by its message).
 */
function seedAttempts (octokit: Octokit, options: OctokitOptions) {
  const { retries, backoffMs, sleep, onWait } = options.seedAttempts as SeedPluginOptions
  octokit.hook.error('request', async (error, requestOptions) => {
    const state = requestOptions.request as AttemptState
    if (!(error instanceof RequestError)) throw error
    if (error.status >= 500) {
      state.failures = (state.failures ?? 0) + 1
      if (state.failures <= retries) {
        const pause = backoffMs * 2 ** (state.failures - 1)
        onWait(`GitHub API request failed (${failureCause(error)}); retrying in ${pause / 1000} s ` +
          `(attempt ${state.failures + 1} of ${retries + 1}).`)
        await sleep(pause)
      }
    } else if (error.status === 403 || error.status === 429) {
      const headers = error.response?.headers ?? {}
      const primary = headers['x-ratelimit-remaining'] === '0'
      const secondary = !primary && (error.status === 429 || headers['retry-after'] !== undefined || /rate limit/i.test(error.message))
      if (secondary && !/\bsecondary rate\b/i.test(error.message)) error.message = `secondary rate limit: ${error.message}`
      const reset = Number(headers['x-ratelimit-reset'])
      const retryAfter = Number(headers['retry-after'])
      state.rateLimited = {
        status: error.status,
        resetAt: primary && reset > 0
          ? new Date(reset * 1000)
          : new Date(Date.now() + (Number.isFinite(retryAfter) ? retryAfter : 60) * 1000)
      }
    }
    throw error
  })
}

const GitHubClient = Octokit.plugin(seedAttempts, throttling, retry, paginateRest)

/** Yields batches of profiles from GitHub, in id order after `since`, until `total` were yielded or GitHub has no more. */
export async function * githubAccounts (options: GitHubAccountsOptions): AsyncGenerator<Profile[]> {
  const apiUrl = options.apiUrl.replace(/\/+$/, '')
  if (!URL.canParse(apiUrl)) {
    throw new GitHubUnavailableError(`The GitHub API URL ${JSON.stringify(apiUrl)} is not a URL. ${SAMPLE_HINT}`)
  }
  const retries = options.retries ?? 4
  const sleep = options.sleep ?? ((ms: number) => delay(ms))
  const onWait = options.onWait ?? (() => {})
  const timeoutMs = options.requestTimeoutMs ?? 30_000
  let refused: { limit: RateLimited, why: string } | undefined

  /** Waits out a rate limit up to --max-wait, and a bounded number of times; else records why not. */
  const onLimit = async (retryAfter: number, requestOptions: { request: unknown }, _octokit: unknown, retryCount: number) => {
    const limit = (requestOptions.request as AttemptState).rateLimited!
    if (retryAfter > options.maxWaitSeconds || retryCount >= MAX_RATE_LIMIT_WAITS) {
      const why = retryAfter > options.maxWaitSeconds
        ? `in ${retryAfter} s, longer than the ${options.maxWaitSeconds} s --max-wait`
        : `still limited after ${retryCount} waits`
      refused = { limit, why }
      return false
    }
    onWait(`GitHub API rate limit (HTTP ${limit.status}): waiting ${retryAfter} s, until ${isoSeconds(limit.resetAt)}.`)
    await sleep(retryAfter * 1000)
    return true
  }

  const octokit = new GitHubClient({
    baseUrl: apiUrl,
    userAgent: 'ghusers-seed',
    // A fresh timeout for each attempt, covering the body too: a body cut short is retried like a network error.
    request: { fetch: bufferedFetch(timeoutMs) },
    // The waits are the handlers' (through `sleep`), so the plugins add none of their own.
    throttle: { onRateLimit: onLimit, onSecondaryRateLimit: onLimit, retryAfterBaseValue: 0 },
    retry: { retries, retryAfterBaseValue: 0, doNotRetry: CLIENT_ERRORS },
    seedAttempts: { retries, backoffMs: options.backoffMs ?? 500, sleep, onWait }
  })
  // GitHub's media type and API version on every page; the token only to the API's origin, not to a next link elsewhere.
  const apiOrigin = new URL(apiUrl).origin
  octokit.hook.before('request', (requestOptions) => {
    Object.assign(requestOptions.headers, GITHUB_HEADERS)
    if (options.token && new URL(requestOptions.url, `${requestOptions.baseUrl}/`).origin === apiOrigin) {
      requestOptions.headers.authorization = `Bearer ${options.token}`
    }
  })
  // plugin-paginate-rest follows only `<url>; rel="next"` exactly: give it the next link of any RFC 8288 form.
  octokit.hook.after('request', (response) => {
    if (!Array.isArray(response.data)) throw unexpectedResponse(response.url, 'the body is not a JSON array')
    const next = nextLink(response.headers.link ?? null, response.url)
    response.headers.link = next === undefined ? undefined : `<${next}>; rel="next"`
  })

  const pages = octokit.paginate.iterator('GET /users', { since: options.since, per_page: PAGE_SIZE })
  let yielded = 0
  for (const iterator = pages[Symbol.asyncIterator](); yielded < options.total;) {
    const page = await iterator.next().catch((error: unknown) => { throw describedFailure(error, refused, retries, options.token) })
    if (page.done) return
    const profiles = toProfiles(page.value.data, page.value.url)
    if (profiles.length === 0) return
    const batch = profiles.slice(0, options.total - yielded)
    yielded += batch.length
    yield batch
  }
}

/** fetch with a timeout per call that reads the whole body before answering (so the timeout covers it). */
function bufferedFetch (timeoutMs: number): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) })
    const body = [101, 204, 205, 304].includes(response.status) ? null : await response.arrayBuffer()
    const buffered = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers })
    // The next link is resolved against it.
    Object.defineProperty(buffered, 'url', { value: response.url })
    return buffered
  }
}

/** The error the seed reports for a failed page: a rate limit beyond what it waits, GitHub out of reach, or its refusal. */
function describedFailure (error: unknown, refused: { limit: RateLimited, why: string } | undefined, retries: number, token?: string): Error {
  if (error instanceof GitHubUnavailableError) return error
  if (!(error instanceof RequestError)) return error as Error
  const url = error.request.url
  if (refused && (error.status === 403 || error.status === 429)) {
    const { limit: { status, resetAt }, why } = refused
    const advice = token ? 'Try again after the reset, raise --max-wait,' : 'Set GITHUB_TOKEN for a higher limit,'
    return new GitHubRateLimitError(
      `GitHub API rate limit exceeded (HTTP ${status}): it resets at ${isoSeconds(resetAt)} (${why}). ` +
      `${advice} or use \`--source sample\` to seed without the network.`,
      resetAt
    )
  }
  if (error.status >= 500) {
    return new GitHubUnavailableError(`Could not read the GitHub API at ${url}: ${failureCause(error)} after ${retries + 1} attempts. ${SAMPLE_HINT}`)
  }
  const message = githubMessage(error.response?.data)
  return new GitHubUnavailableError(`The GitHub API answered HTTP ${error.status} for ${url}${message ? `: ${message}` : ''}. ${SAMPLE_HINT}`)
}

/** The URL of the `rel="next"` link of an RFC 8288 Link header, resolved against the request URL. */
function nextLink (header: string | null, requestUrl: string): string | undefined {
  if (!header) return undefined
  const token = "[!#$%&'*+.^_`|~\\w-]+"
  const quoted = '"(?:[^"\\\\]|\\\\.)*"'
  const param = `\\s*;\\s*${token}\\s*(?:=\\s*(?:${quoted}|[^",;\\s]*))?`
  const linkPattern = new RegExp(`<([^>]*)>((?:${param})*)`, 'g')
  const paramPattern = new RegExp(`;\\s*(${token})\\s*(?:=\\s*(${quoted}|[^",;\\s]*))?`, 'g')
  for (const [, target = '', params = ''] of header.matchAll(linkPattern)) {
    // Only the first rel parameter of a link counts (RFC 8288, 3.3).
    const rel = [...params.matchAll(paramPattern)].find(([, name]) => name?.toLowerCase() === 'rel')?.[2]
    if (rel === undefined) continue
    const values = rel.startsWith('"') ? rel.slice(1, -1).replace(/\\(.)/g, '$1') : rel
    if (!values.toLowerCase().split(/\s+/).includes('next')) continue
    try {
      return new URL(target, requestUrl).href
    } catch {
      throw unexpectedResponse(requestUrl, `the next link ${JSON.stringify(target)} is not a URL`)
    }
  }
  return undefined
}

function toProfiles (body: unknown, url: string): Profile[] {
  if (!Array.isArray(body)) throw unexpectedResponse(url, 'the body is not a JSON array')
  return body.map((item: unknown, index): Profile => {
    const account = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>
    const { id, login, avatar_url: avatarUrl, type, html_url: htmlUrl } = account
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1 ||
      !isText(login) || !isText(avatarUrl) || !isText(type)) {
      throw unexpectedResponse(url, `item ${index} is not an account with an id, login, avatar_url and type`)
    }
    return { id, username: login, avatar_url: avatarUrl, type, url: isText(htmlUrl) ? htmlUrl : `https://github.com/${login}` }
  })
}

function isText (value: unknown): value is string {
  return typeof value === 'string' && value !== ''
}

function unexpectedResponse (url: string, reason: string): GitHubUnavailableError {
  return new GitHubUnavailableError(`The GitHub API sent an unexpected response for ${url}: ${reason}. ${SAMPLE_HINT}`)
}

/** GitHub's `message` from a JSON error body, or '' when there is none. */
function githubMessage (body: unknown): string {
  if (typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string') {
    return body.message.slice(0, 300)
  }
  return ''
}

/** "HTTP 503", or for no answer at all (Octokit's status 500 without a response) the network's own reason. */
function failureCause (error: RequestError): string {
  if (error.response) return `HTTP ${error.status}`
  // Octokit keeps fetch's error in `cause`; undici keeps the system error (ECONNREFUSED...) in its
  // `cause`, an AggregateError when several addresses were tried.
  let cause: unknown = error.cause instanceof Error && error.cause.cause !== undefined ? error.cause.cause : error.cause
  if (cause instanceof Error && cause.name === 'TimeoutError') return 'no response within the request timeout'
  if (cause instanceof AggregateError && cause.errors[0] !== undefined) cause = cause.errors[0]
  if (!(cause instanceof Error)) return String(cause ?? error.message)
  const code = (cause as NodeJS.ErrnoException).code
  if (!cause.message) return code ?? cause.name
  return code && !cause.message.includes(code) ? `${cause.message} (${code})` : cause.message
}

function isoSeconds (date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}
