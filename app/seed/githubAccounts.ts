// The GitHub source of the seed CLI: pages of accounts from GET /users, with retries and rate-limit waits.
import { setTimeout as delay } from 'node:timers/promises'
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
// Secondary rate limits without retry-after or reset: GitHub's docs say to wait at least a minute.
const DEFAULT_RATE_LIMIT_WAIT_SECONDS = 60

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

/** Yields batches of profiles from GitHub, in id order after `since`, until `total` were yielded or GitHub has no more. */
export async function * githubAccounts (options: GitHubAccountsOptions): AsyncGenerator<Profile[]> {
  const apiUrl = options.apiUrl.replace(/\/+$/, '')
  if (!URL.canParse(apiUrl)) {
    throw new GitHubUnavailableError(`The GitHub API URL ${JSON.stringify(apiUrl)} is not a URL. ${SAMPLE_HINT}`)
  }
  const apiOrigin = new URL(apiUrl).origin
  let url: string | undefined = `${apiUrl}/users?since=${options.since}&per_page=${PAGE_SIZE}`
  let yielded = 0
  while (url !== undefined && yielded < options.total) {
    const page = await fetchPage(url, apiOrigin, options)
    const profiles = toProfiles(page.body, url)
    if (profiles.length === 0) return
    const batch = profiles.slice(0, options.total - yielded)
    yielded += batch.length
    yield batch
    url = page.next
  }
}

interface Page { body: unknown, next: string | undefined }
interface RateLimit { status: number, waitSeconds: number, resetAt: Date }
type Attempt =
  | { outcome: 'page', page: Page }
  | { outcome: 'failed', cause: string }
  | { outcome: 'rate-limited', rateLimit: RateLimit }

async function fetchPage (url: string, apiOrigin: string, options: GitHubAccountsOptions): Promise<Page> {
  const retries = options.retries ?? 4
  const timeoutMs = options.requestTimeoutMs ?? 30_000
  const sleep = options.sleep ?? ((ms: number) => delay(ms))
  const headers: Record<string, string> = {
    Accept: 'application/vnd.github+json',
    'User-Agent': 'ghusers-seed',
    'X-GitHub-Api-Version': '2022-11-28'
  }
  // A next link elsewhere must not receive the token.
  if (options.token && new URL(url).origin === apiOrigin) headers.Authorization = `Bearer ${options.token}`

  let backoffMs = options.backoffMs ?? 500
  let failures = 0
  let rateLimitWaits = 0
  for (;;) {
    const attempt = await fetchOnce(url, headers, timeoutMs)
    if (attempt.outcome === 'page') return attempt.page

    if (attempt.outcome === 'rate-limited') {
      const { status, waitSeconds, resetAt } = attempt.rateLimit
      if (waitSeconds > options.maxWaitSeconds || rateLimitWaits >= MAX_RATE_LIMIT_WAITS) {
        const why = waitSeconds > options.maxWaitSeconds
          ? `in ${waitSeconds} s, longer than the ${options.maxWaitSeconds} s --max-wait`
          : `still limited after ${rateLimitWaits} waits`
        const advice = options.token
          ? 'Try again after the reset, raise --max-wait,'
          : 'Set GITHUB_TOKEN for a higher limit,'
        throw new GitHubRateLimitError(
          `GitHub API rate limit exceeded (HTTP ${status}): it resets at ${isoSeconds(resetAt)} (${why}). ` +
          `${advice} or use \`--source sample\` to seed without the network.`,
          resetAt
        )
      }
      rateLimitWaits++
      options.onWait?.(`GitHub API rate limit (HTTP ${status}): waiting ${waitSeconds} s, until ${isoSeconds(resetAt)}.`)
      await sleep(waitSeconds * 1000)
      continue
    }

    failures++
    if (failures > retries) {
      throw new GitHubUnavailableError(
        `Could not read the GitHub API at ${url}: ${attempt.cause} after ${failures} attempts. ${SAMPLE_HINT}`
      )
    }
    options.onWait?.(`GitHub API request failed (${attempt.cause}); retrying in ${backoffMs / 1000} s ` +
      `(attempt ${failures + 1} of ${retries + 1}).`)
    await sleep(backoffMs)
    backoffMs *= 2
  }
}

async function fetchOnce (url: string, headers: Record<string, string>, timeoutMs: number): Promise<Attempt> {
  let response: Response
  let text: string
  try {
    // The timeout covers reading the body as well as the headers.
    response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) })
    text = await response.text()
  } catch (error) {
    return { outcome: 'failed', cause: networkCause(error, timeoutMs) }
  }
  if (response.status >= 500) return { outcome: 'failed', cause: `HTTP ${response.status}` }

  const rateLimit = rateLimitOf(response, githubMessage(text))
  if (rateLimit) return { outcome: 'rate-limited', rateLimit }
  if (!response.ok) {
    const message = githubMessage(text)
    throw new GitHubUnavailableError(
      `The GitHub API answered HTTP ${response.status} for ${url}${message ? `: ${message}` : ''}. ${SAMPLE_HINT}`
    )
  }

  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw unexpectedResponse(url, 'the body is not JSON')
  }
  return { outcome: 'page', page: { body, next: nextLink(response.headers.get('link'), url) } }
}

/** The wait GitHub asks for, following its documented order: retry-after, then x-ratelimit-reset, then a minute. */
function rateLimitOf (response: Response, message: string): RateLimit | undefined {
  const { status, headers } = response
  const retryAfter = headers.get('retry-after')
  const remaining = headers.get('x-ratelimit-remaining')
  const limited = status === 429 ||
    (status === 403 && (remaining === '0' || retryAfter !== null || /rate limit/i.test(message)))
  if (!limited) return undefined

  const now = Date.now()
  const reset = Number(headers.get('x-ratelimit-reset'))
  let waitSeconds = DEFAULT_RATE_LIMIT_WAIT_SECONDS
  if (retryAfter !== null && /^\s*\d+\s*$/.test(retryAfter)) {
    waitSeconds = Number(retryAfter)
  } else if (retryAfter !== null && !Number.isNaN(Date.parse(retryAfter))) {
    waitSeconds = Math.max(0, Math.ceil((Date.parse(retryAfter) - now) / 1000))
  } else if (remaining === '0' && reset > 0) {
    // One second more: the reset time is rounded down, and clocks differ.
    return { status, waitSeconds: Math.max(1, Math.ceil(reset - now / 1000) + 1), resetAt: new Date(reset * 1000) }
  }
  return { status, waitSeconds, resetAt: new Date(now + waitSeconds * 1000) }
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
function githubMessage (text: string): string {
  try {
    const body: unknown = JSON.parse(text)
    if (typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string') {
      return body.message.slice(0, 300)
    }
  } catch {}
  return ''
}

function networkCause (error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no response within ${timeoutMs} ms`
  // undici rejects with "fetch failed" and keeps the system error (ECONNREFUSED, ENOTFOUND...) in `cause`;
  // with several addresses tried at once, that cause is an AggregateError.
  let cause: unknown = error instanceof Error && error.cause !== undefined ? error.cause : error
  if (cause instanceof AggregateError && cause.errors[0] !== undefined) cause = cause.errors[0]
  if (!(cause instanceof Error)) return String(cause)
  const code = (cause as NodeJS.ErrnoException).code
  if (!cause.message) return code ?? cause.name
  return code && !cause.message.includes(code) ? `${cause.message} (${code})` : cause.message
}

function isoSeconds (date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}
