/// <reference lib="dom" />
// End-to-end harness: the real app listening on a sample database, Debian's chromium through
// playwright-core, and a page that records every console error, page error, failed request and
// CSP violation so each test can require that there were none.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page, type Route } from 'playwright-core'
import { afterAll, beforeAll, expect } from 'vitest'
import { buildApp } from '../../app/app.js'
import { CHROMIUM_PATH } from '../helpers/debianPackages.js'
import { appConfig, sampleDatabase } from '../helpers/fixtures.js'

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'
]

export const PHONE = { name: 'phone', width: 375, height: 812 } as const
export const DESKTOP = { name: 'desktop', width: 1280, height: 800 } as const
export const VIEWPORTS = [PHONE, DESKTOP] as const
export type Viewport = typeof PHONE | typeof DESKTOP

export const AVATAR_HOST = 'https://avatars.githubusercontent.com'
export const AVATAR_ROUTE = `${AVATAR_HOST}/**`

/**
 * The contract promises pages that hold under a strict Content-Security-Policy (no inline script
 * or style, no other origin but the avatar host). While the app sends none of its own, documents
 * get this one in the browser, so any inline script, style attribute or foreign asset surfaces as
 * a violation; when the app sends its own, that one is left alone.
 */
export const STRICT_CSP = [
  "default-src 'self'",
  `img-src 'self' data: ${AVATAR_HOST}`,
  "style-src 'self'",
  "script-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'"
].join('; ')

export function launchChromium (): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: install Debian's chromium (apt-get install -y chromium); npm test does, as root`)
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true })
}

export interface RunningServer { baseUrl: string, close: () => Promise<void> }

/** The app, as the server builds it, listening on a free port over `total` sample accounts. */
export async function startServer (total: number): Promise<RunningServer> {
  // Its own folder, removed by close(): this runs in beforeAll, where fixtures cannot register cleanup.
  const dir = mkdtempSync(join(tmpdir(), 'ghusers-e2e-'))
  const app = await buildApp(appConfig(await sampleDatabase(total, dir)))
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  return {
    baseUrl: address,
    close: async () => {
      await app.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

export interface WatchedPage {
  page: Page
  context: BrowserContext
  /** Navigates to a path of the site; `status` is the document status expected (an error page). */
  open: (path: string, status?: number) => Promise<void>
  /** Lets a document of this path answer `status` without counting it as a problem. */
  allowStatus: (pathAndQuery: string, status: number) => void
  problems: () => string[]
  expectNoProblems: () => void
  close: () => Promise<void>
}

export interface WatchOptions {
  viewport: Viewport
  colorScheme?: 'light' | 'dark'
  /** What to do with avatar requests: fail them (the machine is offline), or answer them yourself. */
  avatars?: 'abort' | ((route: Route) => Promise<void> | void)
  /** Add STRICT_CSP to documents that carry no CSP of their own. */
  strictCsp?: boolean
}

/** A fresh context and page on the running server, with every kind of problem recorded. */
export async function watchedPage (browser: Browser, baseUrl: string, options: WatchOptions): Promise<WatchedPage> {
  const { viewport, colorScheme = 'light', avatars = 'abort', strictCsp = true } = options
  const context = await browser.newContext({
    baseURL: baseUrl,
    viewport: { width: viewport.width, height: viewport.height },
    colorScheme,
    reducedMotion: 'reduce',
    serviceWorkers: 'block'
  })
  const page = await context.newPage()
  const problems: string[] = []
  const allowed = new Set<string>()
  const origin = new URL(baseUrl).origin
  const key = (url: string, status: number) => {
    const parsed = new URL(url, baseUrl)
    return `${status} ${parsed.pathname}${parsed.search}`
  }
  const isAvatar = (url: string) => url.startsWith(`${AVATAR_HOST}/`)

  await context.route(AVATAR_ROUTE, avatars === 'abort' ? (route) => route.abort() : avatars)
  if (strictCsp) {
    await context.route((url) => url.origin === origin, async (route) => {
      if (route.request().resourceType() !== 'document') return route.continue()
      const response = await route.fetch()
      const headers = response.headers()
      if (!headers['content-security-policy']) headers['content-security-policy'] = STRICT_CSP
      return route.fulfill({ response, headers })
    })
  }
  await context.exposeBinding('__reportCspViolation', (_source, text: string) => {
    problems.push(`CSP violation: ${text}`)
  })
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const report = (window as unknown as { __reportCspViolation: (text: string) => void }).__reportCspViolation
      void report(`${event.violatedDirective} blocked ${event.blockedURI || 'inline'} at ${event.sourceFile}:${event.lineNumber}`)
    })
  })

  const documentStatus = new Map<string, number>()
  page.on('console', (message) => {
    if (message.type() !== 'error') return
    const source = message.location().url
    if (isAvatar(source)) return
    const status = documentStatus.get(source)
    if (status !== undefined && allowed.has(key(source, status)) && message.text().includes(`status of ${status}`)) return
    problems.push(`console error: ${message.text()} (${source})`)
  })
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  page.on('requestfailed', (request) => {
    if (isAvatar(request.url())) return
    // Cancelled by the browser itself, e.g. the favicon of a page the test has already left.
    if (request.failure()?.errorText === 'net::ERR_ABORTED' && new URL(request.url()).origin === origin) return
    problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`)
  })
  page.on('response', (response) => {
    const request = response.request()
    if (request.resourceType() === 'document') documentStatus.set(response.url(), response.status())
    if (response.status() < 400) return
    if (request.resourceType() === 'document' && allowed.has(key(response.url(), response.status()))) return
    problems.push(`HTTP ${response.status()} for ${request.resourceType()} ${response.url()}`)
  })

  const allowStatus = (pathAndQuery: string, status: number) => { allowed.add(key(pathAndQuery, status)) }
  return {
    page,
    context,
    allowStatus,
    open: async (path, status = 200) => {
      if (status !== 200) allowStatus(path, status)
      const response = await page.goto(path)
      expect(response?.status(), `status of ${path}`).toBe(status)
    },
    problems: () => [...problems],
    expectNoProblems: () => expect(problems, 'console errors, page errors, failed requests, CSP violations').toEqual([]),
    close: () => context.close()
  }
}

export interface BrowserAndServer {
  readonly browser: Browser
  readonly baseUrl: string
  /** A fresh watched page for `run`, closed afterwards; the test fails on any problem it recorded. */
  withPage: (options: WatchOptions, run: (watched: WatchedPage) => Promise<void>) => Promise<void>
}

/** The test file's one browser and one server over `total` sample accounts: started in beforeAll, closed in afterAll. */
export function useBrowserAndServer (total: number): BrowserAndServer {
  let browser: Browser | undefined
  let server: RunningServer | undefined
  beforeAll(async () => {
    [browser, server] = await Promise.all([launchChromium(), startServer(total)])
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })
  const started = () => {
    if (!browser || !server) throw new Error('the browser and server start in beforeAll')
    return { browser, server }
  }
  return {
    get browser () { return started().browser },
    get baseUrl () { return started().server.baseUrl },
    withPage: async (options, run) => {
      const { browser, server } = started()
      const watched = await watchedPage(browser, server.baseUrl, options)
      try {
        await run(watched)
        watched.expectNoProblems()
      } finally {
        await watched.close()
      }
    }
  }
}
