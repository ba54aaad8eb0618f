// The HTML pages against the contract: rows, range text, pager, form, parameters, error pages, escaping, assets.
import BetterSqlite3 from 'better-sqlite3'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { parse, type HTMLElement } from 'node-html-parser'
import { describe, expect, it } from 'vitest'
import { ORDER_BY_VALUES, type OrderBy, type Profile } from '../../../app/schemas/profiles.js'
import { sampleAccountAt } from '../../../app/seed/sampleAccounts.js'
import { expectedPage as expectedPageOf, type Filters, matching } from '../../helpers/contractModel.js'
import { build, contractOnlyDatabase, HOSTILE_PROFILES, sampleDatabase } from '../../helpers/fixtures.js'

const TOTAL = 1000
const DEFAULT_PAGE_SIZE = 25
const samplePath = await sampleDatabase(TOTAL)
const sampleApp = await build(samplePath)
const hostileApp = await build(contractOnlyDatabase())

/** What the file holds, from the generator itself: the expectations never come from the app's output. */
const SAMPLE: Profile[] = Array.from({ length: TOTAL }, (_, i) => sampleAccountAt(i))
const sampleById = new Map(SAMPLE.map((profile) => [profile.id, profile]))

// ---------------------------------------------------------------------------------------------
// Expectations written from the contract, independently of the app's SQL and views.

const expectedPage = (filters: Filters, orderBy: OrderBy, page: number, pageSize: number) =>
  expectedPageOf(SAMPLE, filters, orderBy, page, pageSize)

const thousands = (value: number) => value.toLocaleString('en-US')

// ---------------------------------------------------------------------------------------------
// Reading pages with an HTML parser.

interface HtmlPage { response: LightMyRequestResponse, root: HTMLElement, main: HTMLElement }

async function inject (app: FastifyInstance, url: string, headers: Record<string, string> = {}) {
  return app.inject({ method: 'GET', url, headers })
}

/** GETs `url` and checks that it is a real HTML document with the given status. */
async function htmlPage (app: FastifyInstance, url: string, status = 200): Promise<HtmlPage> {
  const response = await inject(app, url)
  expect(response.statusCode, `status of ${url}`).toBe(status)
  expect(String(response.headers['content-type']), `content-type of ${url}`).toContain('text/html')
  expect(response.body.trimStart().toLowerCase().startsWith('<!doctype html>'), `doctype of ${url}`).toBe(true)
  const root = parse(response.body)
  expect(root.querySelector('html'), `<html> of ${url}`).not.toBeNull()
  expect(root.querySelector('title')?.text.trim(), `<title> of ${url}`).toBeTruthy()
  const main = root.querySelector('main') ?? root.querySelector('body')
  expect(main, `<main> of ${url}`).not.toBeNull()
  return { response, root, main: main! }
}

const normalized = (text: string) => text.replace(/\s+/g, ' ').trim()

interface ShownRow {
  id: number
  username: string
  profileHref: string | undefined
  type: string
  badge: HTMLElement | null
  img: HTMLElement | null
}

/** The users table's rows, read through its header cells (Username, Type, Id). */
function shownRows (root: HTMLElement): ShownRow[] {
  const table = root.querySelector('main table')
  if (!table) return []
  // A heading's name, as assistive technology reads it: the sort mark is aria-hidden.
  const headers = table.querySelectorAll('thead th').map((th) => {
    for (const hidden of th.querySelectorAll('[aria-hidden="true"]')) hidden.remove()
    return normalized(th.text).toLowerCase()
  })
  const column = (name: string): number => {
    const index = headers.indexOf(name)
    expect(index, `a "${name}" column in ${JSON.stringify(headers)}`).toBeGreaterThanOrEqual(0)
    return index
  }
  const [usernameAt, typeAt, idAt] = [column('username'), column('type'), column('id')]
  return table.querySelectorAll('tbody tr').map((tr) => {
    const cells = tr.querySelectorAll('td')
    const link = cells[usernameAt]?.querySelector('a')
    return {
      id: Number(normalized(cells[idAt]?.text ?? '').replaceAll(',', '')),
      username: link?.text.trim() ?? '',
      profileHref: link?.getAttribute('href'),
      type: normalized(cells[typeAt]?.text ?? ''),
      badge: cells[typeAt]?.querySelector('.badge') ?? null,
      img: tr.querySelector('img')
    }
  })
}

const shownIds = (root: HTMLElement) => shownRows(root).map((row) => row.id)

/** What a page link asks for, with the contract's defaults filled in. */
interface LinkQuery { page: number, pagination: number, order_by: string, username?: string, type?: string, id?: string }

const KNOWN_PAGE_PARAMETERS = new Set(['page', 'pagination', 'order_by', 'username', 'type', 'id'])

function linkQuery (href: string): LinkQuery {
  const url = new URL(href, 'http://pages.test')
  expect(url.origin, `${href} stays on the site`).toBe('http://pages.test')
  const segments = url.pathname.split('/').filter(Boolean)
  expect(segments[0] ?? 'users', `${href} is a users page`).toBe('users')
  expect(segments.length, `${href} is a users page`).toBeLessThanOrEqual(2)
  for (const name of new Set(url.searchParams.keys())) {
    expect(KNOWN_PAGE_PARAMETERS.has(name), `${href} carries only known parameters`).toBe(true)
    expect(url.searchParams.getAll(name), `${href} gives ${name} once`).toHaveLength(1)
  }
  const params = url.searchParams
  const query: LinkQuery = {
    page: Number(segments[1] ?? params.get('page') ?? 1),
    pagination: Number(params.get('pagination') || DEFAULT_PAGE_SIZE),
    order_by: (params.get('order_by') || 'id').toLowerCase()
  }
  if (params.get('username')) query.username = params.get('username')!
  if (params.get('type')) query.type = params.get('type')!.toLowerCase()
  if (params.get('id')) query.id = params.get('id')!
  return query
}

function expectLinkTo (href: string | undefined, expected: LinkQuery, what: string) {
  expect(href, what).toBeTruthy()
  expect(linkQuery(href!), `${what}: ${href}`).toEqual(expected)
}

/** The pager: the nav holding first/previous/next/last. */
function pagerOf (root: HTMLElement): HTMLElement | null {
  const navs = root.querySelectorAll('nav').filter((nav) =>
    nav.querySelectorAll('a, span, button').some((element) => /^(first|previous|prev|next|last)\b/i.test(accessibleText(element))))
  expect(navs.length, 'at most one pager').toBeLessThanOrEqual(1)
  return navs[0] ?? null
}

function accessibleText (element: HTMLElement): string {
  return normalized(element.getAttribute('aria-label') ?? element.text)
}

/** The pager's first/previous/next/last control: a link, or the element standing for a disabled one. */
function edge (pager: HTMLElement, word: 'first' | 'prev' | 'next' | 'last'): HTMLElement {
  const found = pager.querySelectorAll('a, span, button')
    .find((element) => accessibleText(element).toLowerCase().startsWith(word))
  expect(found, `a "${word}" control in the pager`).toBeTruthy()
  return found!.closest('a') ?? found!
}

function expectEnabled (control: HTMLElement, target: LinkQuery, what: string) {
  expect(control.tagName, `${what} is a link`).toBe('A')
  expectLinkTo(control.getAttribute('href'), target, what)
}

function expectDisabled (control: HTMLElement, what: string) {
  expect(control.getAttribute('href'), `${what} has no href`).toBeUndefined()
  const disabled = control.getAttribute('aria-disabled') === 'true' ||
    control.closest('[aria-disabled="true"]') !== null || control.closest('.disabled') !== null
  expect(disabled, `${what} is marked disabled`).toBe(true)
}

type PagerToken = { kind: 'page', page: number, element: HTMLElement } | { kind: 'gap' }

/** The page numbers and gaps of the pager, in document order (leaf elements only). */
function pagerTokens (pager: HTMLElement): PagerToken[] {
  const tokens: PagerToken[] = []
  for (const element of pager.querySelectorAll('a, span')) {
    if (element.querySelector('a, span')) continue
    const text = normalized(element.text)
    if (/^[\d,]+$/.test(text)) tokens.push({ kind: 'page', page: Number(text.replaceAll(',', '')), element: element.closest('a') ?? element })
    else if (text === '…' || text === '...') tokens.push({ kind: 'gap' })
  }
  return tokens
}

/**
 * Checks the whole pager of page `page` of `pages` for a request whose other parameters are `base`:
 * the edges, the window of numbers with gaps, aria-current, and that every link keeps `base`.
 */
function expectPager (root: HTMLElement, page: number, pages: number, base: Omit<LinkQuery, 'page'>) {
  const pager = pagerOf(root)
  expect(pager, 'a pager').not.toBeNull()
  expect(pager!.getAttribute('aria-label')?.trim(), 'the pager nav has an aria-label').toBeTruthy()

  const at = (number: number): LinkQuery => ({ ...base, page: number })
  if (page > 1) {
    expectEnabled(edge(pager!, 'first'), at(1), 'first')
    expectEnabled(edge(pager!, 'prev'), at(page - 1), 'previous')
  } else {
    expectDisabled(edge(pager!, 'first'), 'first on page 1')
    expectDisabled(edge(pager!, 'prev'), 'previous on page 1')
  }
  if (page < pages) {
    expectEnabled(edge(pager!, 'next'), at(page + 1), 'next')
    expectEnabled(edge(pager!, 'last'), at(pages), 'last')
  } else {
    expectDisabled(edge(pager!, 'next'), 'next on the last page')
    expectDisabled(edge(pager!, 'last'), 'last on the last page')
  }

  // The window: increasing numbers around the current page, a gap wherever numbers are skipped.
  const tokens = pagerTokens(pager!)
  const numbers = tokens.flatMap((token) => token.kind === 'page' ? [token.page] : [])
  expect(numbers, 'the current page is in the window').toContain(page)
  if (page > 1) expect(numbers).toContain(page - 1)
  if (page < pages) expect(numbers).toContain(page + 1)
  expect(numbers.length, 'a window, not every page').toBeLessThan(Math.max(pages, 12))
  expect(Math.min(...numbers)).toBeGreaterThanOrEqual(1)
  expect(Math.max(...numbers)).toBeLessThanOrEqual(pages)
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!
    if (token.kind === 'gap') {
      const before = tokens.slice(0, i).reverse().find((t) => t.kind === 'page')
      const after = tokens.slice(i + 1).find((t) => t.kind === 'page')
      const skipped = (before?.kind === 'page' ? before.page : 0) + 1 < (after?.kind === 'page' ? after.page : pages + 1)
      expect(skipped, `gap at token ${i} stands for skipped pages`).toBe(true)
      continue
    }
    const next = tokens[i + 1]
    const nextPage = tokens.slice(i + 1).find((t) => t.kind === 'page')
    if (nextPage?.kind === 'page') {
      expect(nextPage.page, 'page numbers increase').toBeGreaterThan(token.page)
      if (nextPage.page > token.page + 1) expect(next?.kind, `a gap between ${token.page} and ${nextPage.page}`).toBe('gap')
    }
  }
  const firstNumber = tokens.find((t) => t.kind === 'page')
  const lastNumber = [...tokens].reverse().find((t) => t.kind === 'page')
  expect(tokens[0]?.kind === 'gap', 'a leading gap exactly when pages before the window are skipped')
    .toBe(firstNumber?.kind === 'page' && firstNumber.page > 1)
  expect(tokens.at(-1)?.kind === 'gap', 'a trailing gap exactly when pages after the window are skipped')
    .toBe(lastNumber?.kind === 'page' && lastNumber.page < pages)

  // Every number is a link to its page; only the current page's link carries aria-current="page".
  for (const token of tokens) {
    if (token.kind !== 'page') continue
    expectEnabled(token.element, at(token.page), `page number ${token.page}`)
    expect(token.element.getAttribute('aria-current') === 'page', `aria-current on ${token.page}`).toBe(token.page === page)
  }
  const current = root.querySelectorAll('[aria-current="page"]')
  expect(current, 'exactly one aria-current="page" on the page').toHaveLength(1)
  expect(current[0]!.tagName).toBe('A')
  expect(normalized(current[0]!.text)).toBe(thousands(page))

  // Every link of the pager keeps page size, filters and order.
  const links = pager!.querySelectorAll('a[href]')
  expect(links.length).toBeGreaterThan(0)
  for (const link of links) {
    const { page: _page, ...kept } = linkQuery(link.getAttribute('href')!)
    expect(kept, `pager link ${link.getAttribute('href')} keeps the query`).toEqual(base)
  }
}

function expectNoPager (root: HTMLElement) {
  expect(pagerOf(root), 'no pager').toBeNull()
  expect(root.querySelectorAll('[aria-current="page"]'), 'no aria-current="page"').toHaveLength(0)
}

function expectRangeText (main: HTMLElement, text: string) {
  expect(normalized(main.text)).toContain(text)
}

/** Every URL-valued attribute of the page. */
function urlAttributes (root: HTMLElement): Array<{ element: HTMLElement, name: string, value: string }> {
  const found = []
  for (const element of root.querySelectorAll('*')) {
    for (const [name, value] of Object.entries(element.attributes)) {
      if (['href', 'src', 'srcset', 'action', 'formaction', 'poster', 'data'].includes(name.toLowerCase())) {
        found.push({ element, name: name.toLowerCase(), value })
      }
    }
  }
  return found
}

/** No CDN, no inline script, no inline style or handler: a strict CSP holds. `avatars` are the table's images. */
function expectOnlyLocalAssets (root: HTMLElement) {
  const avatars = new Set(root.querySelectorAll('main table img'))
  for (const link of root.querySelectorAll('link[href]')) {
    const href = link.getAttribute('href')!
    expect(href.startsWith('/') && !href.startsWith('//'), `<link href="${href}"> is local`).toBe(true)
    if ((link.getAttribute('rel') ?? '').toLowerCase() !== 'alternate') {
      expect(href.startsWith('/static/'), `<link rel="${link.getAttribute('rel')}" href="${href}"> is under /static/`).toBe(true)
    }
  }
  for (const script of root.querySelectorAll('script')) {
    const src = script.getAttribute('src')
    expect(src?.startsWith('/static/'), `<script src="${src}"> is a local /static/ file`).toBe(true)
    expect(script.text.trim(), 'no inline script').toBe('')
  }
  for (const img of root.querySelectorAll('img')) {
    if (avatars.has(img)) continue
    const src = img.getAttribute('src') ?? ''
    expect(src.startsWith('/static/'), `non-avatar <img src="${src}"> is under /static/`).toBe(true)
  }
  expect(root.querySelectorAll('style'), 'no inline <style>').toHaveLength(0)
  for (const element of root.querySelectorAll('*')) {
    for (const name of Object.keys(element.attributes)) {
      const lower = name.toLowerCase()
      expect(lower === 'style' || lower.startsWith('on'), `<${element.tagName.toLowerCase()} ${name}=…>`).toBe(false)
    }
  }
  for (const { name, value } of urlAttributes(root)) {
    expect(value.trim().toLowerCase().startsWith('javascript:'), `${name}="${value}"`).toBe(false)
  }
}

function expectViewport (root: HTMLElement) {
  const meta = root.querySelectorAll('meta[name="viewport"]')
  expect(meta).toHaveLength(1)
  expect(meta[0]!.getAttribute('content')).toBe('width=device-width, initial-scale=1')
}

/** An error page: an h1 and, in the main content, a link back into the site. */
function expectErrorPage ({ root, main }: HtmlPage) {
  expect(root.querySelector('h1')?.text.trim(), 'an h1').toBeTruthy()
  const back = main.querySelectorAll('a[href]').map((a) => a.getAttribute('href')!)
  expect(back.some((href) => href === '/' || href.startsWith('/users')), `a way back in ${JSON.stringify(back)}`).toBe(true)
  expect(shownRows(root)).toHaveLength(0)
  expectViewport(root)
  expectOnlyLocalAssets(root)
}

function alternateHref (root: HTMLElement): string {
  const links = root.querySelectorAll('link[rel="alternate"]')
    .filter((link) => (link.getAttribute('type') ?? '').toLowerCase() === 'application/json')
  expect(links, 'one <link rel="alternate" type="application/json">').toHaveLength(1)
  return links[0]!.getAttribute('href')!
}

/** The alternate link is the same query in the API: same rows, same total. */
async function expectAlternateMatches (app: FastifyInstance, root: HTMLElement, total: number) {
  const href = alternateHref(root)
  expect(href.startsWith('/api/'), `${href} is the API`).toBe(true)
  const response = await inject(app, href)
  expect(response.statusCode, `GET ${href}`).toBe(200)
  const body = response.json() as { total: number, results: Array<{ id: number }> }
  expect(body.results.map((profile) => profile.id)).toEqual(shownIds(root))
  expect(body.total).toBe(total)
}

// ---------------------------------------------------------------------------------------------

describe('the fixture', () => {
  it('holds exactly the sample accounts the expectations are computed from', () => {
    const db = new BetterSqlite3(samplePath, { readonly: true })
    try {
      const rows = db.prepare('SELECT id, username, avatar_url, type, url FROM users ORDER BY id').all() as Profile[]
      expect(rows).toEqual(SAMPLE)
    } finally {
      db.close()
    }
  })
})

describe('GET /, /users, /users/:page', () => {
  it.each(['/', '/users', '/users/1'])('%s shows page 1', async (url) => {
    const { root, main } = await htmlPage(sampleApp, url)
    expect(shownIds(root)).toEqual(SAMPLE.slice(0, DEFAULT_PAGE_SIZE).map((profile) => profile.id))
    expectRangeText(main, `1–25 of ${thousands(TOTAL)}`)
    expectPager(root, 1, TOTAL / DEFAULT_PAGE_SIZE, { pagination: DEFAULT_PAGE_SIZE, order_by: 'id' })
  })

  it('shows each user: avatar with alt, size and lazy loading, linked username, type badge and id', async () => {
    const { root } = await htmlPage(sampleApp, '/users/2')
    const rows = shownRows(root)
    expect(rows).toHaveLength(DEFAULT_PAGE_SIZE)
    rows.forEach((row, i) => {
      const account = SAMPLE[DEFAULT_PAGE_SIZE + i]!
      expect(row.id).toBe(account.id)
      expect(row.username).toBe(account.username)
      expect(row.profileHref).toBe(`https://github.com/${account.username}`)
      expect(row.type).toBe(account.type)
      expect(row.badge?.text.trim(), 'the type is a badge').toBe(account.type)
      expect(row.img, 'an avatar').not.toBeNull()
      expect(row.img!.getAttribute('src')).toBe(account.avatar_url)
      expect(row.img!.getAttribute('alt')?.trim(), 'alt').toBeTruthy()
      expect(Number(row.img!.getAttribute('width')), 'width').toBeGreaterThan(0)
      expect(Number(row.img!.getAttribute('height')), 'height').toBeGreaterThan(0)
      expect(row.img!.getAttribute('loading')).toBe('lazy')
    })
    // The sample has organizations; at least one shows up on these pages with its type.
    const { root: wide } = await htmlPage(sampleApp, '/users?pagination=100')
    const types = new Set(shownRows(wide).map((row) => row.type))
    expect(types).toEqual(new Set(SAMPLE.slice(0, 100).map((profile) => profile.type)))
  })

  it('says which rows it shows of how many: "26–50 of 1,000"', async () => {
    const { main } = await htmlPage(sampleApp, '/users/2')
    expectRangeText(main, '26–50 of 1,000')
  })

  it('shows a partial range on the last page, with next and last disabled', async () => {
    const pageSize = 30
    const pages = Math.ceil(TOTAL / pageSize)
    const { root, main } = await htmlPage(sampleApp, `/users/${pages}?pagination=${pageSize}`)
    const from = (pages - 1) * pageSize + 1
    expect(shownIds(root)).toEqual(SAMPLE.slice(from - 1).map((profile) => profile.id))
    expect(shownIds(root).length).toBeLessThan(pageSize)
    expectRangeText(main, `${thousands(from)}–${thousands(TOTAL)} of ${thousands(TOTAL)}`)
    expectPager(root, pages, pages, { pagination: pageSize, order_by: 'id' })
  })

  it('on the last page of the default size too', async () => {
    const pages = TOTAL / DEFAULT_PAGE_SIZE
    const { root, main } = await htmlPage(sampleApp, `/users/${pages}`)
    expect(shownIds(root)).toEqual(SAMPLE.slice(-DEFAULT_PAGE_SIZE).map((profile) => profile.id))
    expectRangeText(main, `976–1,000 of ${thousands(TOTAL)}`)
    expectPager(root, pages, pages, { pagination: DEFAULT_PAGE_SIZE, order_by: 'id' })
  })

  it('says "No users match" for an empty result, with a 200, no rows and no pager', async () => {
    const { root, main } = await htmlPage(sampleApp, '/users?username=no-such-login-here', 200)
    expect(shownRows(root)).toHaveLength(0)
    expect(normalized(main.text)).toContain('No users match')
    expectNoPager(root)
    await expectAlternateMatches(sampleApp, root, 0)
  })

  it.each([
    ['/users?pagination=1', 1],
    ['/users?pagination=100', 100],
    ['/?pagination=10', 10],
    ['/users/3?pagination=7', 7]
  ])('%s: pagination in 1..100 sets the page size', async (url, pageSize) => {
    const page = Number(new URL(url, 'http://x').pathname.split('/')[2] ?? 1)
    const { root, main } = await htmlPage(sampleApp, url)
    const expected = expectedPage({}, 'id', page, pageSize)
    expect(shownIds(root)).toEqual(expected.ids)
    const from = (page - 1) * pageSize + 1
    expectRangeText(main, `${thousands(from)}–${thousands(from + pageSize - 1)} of ${thousands(TOTAL)}`)
    expectPager(root, page, expected.pages, { pagination: pageSize, order_by: 'id' })
  })

  it.each(ORDER_BY_VALUES)('order_by=%s orders the rows, ties by id ascending', async (orderBy) => {
    const { root } = await htmlPage(sampleApp, `/users/3?order_by=${orderBy}&pagination=7`)
    const expected = expectedPage({}, orderBy, 3, 7)
    expect(shownIds(root)).toEqual(expected.ids)
    expectPager(root, 3, expected.pages, { pagination: 7, order_by: orderBy })
  })

  it('filters by username: a case-insensitive substring', async () => {
    const { root, main } = await htmlPage(sampleApp, '/users?username=ALI&pagination=100')
    const expected = expectedPage({ username: 'ali' }, 'id', 1, 100)
    expect(expected.total).toBeGreaterThan(0)
    expect(shownIds(root)).toEqual(expected.ids)
    expectRangeText(main, `of ${thousands(expected.total)}`)
    for (const row of shownRows(root)) expect(row.username.toLowerCase()).toContain('ali')
  })

  it('filters by type, case-insensitively', async () => {
    const expected = expectedPage({ type: 'Organization' }, 'id', 2, 10)
    expect(expected.pages).toBeGreaterThan(2)
    const { root, main } = await htmlPage(sampleApp, '/users/2?type=organization&pagination=10')
    expect(shownIds(root)).toEqual(expected.ids)
    for (const row of shownRows(root)) expect(row.type).toBe('Organization')
    expectRangeText(main, `11–20 of ${thousands(expected.total)}`)
    expectPager(root, 2, expected.pages, { pagination: 10, order_by: 'id', type: 'organization' })
  })

  it('filters by id: one row, no pager; an id in a gap matches nothing', async () => {
    const account = SAMPLE[500]!
    const { root, main } = await htmlPage(sampleApp, `/users?id=${account.id}`)
    expect(shownIds(root)).toEqual([account.id])
    expectRangeText(main, '1–1 of 1')
    expectNoPager(root)

    const missing = [account.id - 1, account.id + 1].find((id) => !sampleById.has(id))!
    expect(missing).toBeDefined()
    const empty = await htmlPage(sampleApp, `/users?id=${missing}`)
    expect(shownRows(empty.root)).toHaveLength(0)
    expect(normalized(empty.main.text)).toContain('No users match')
  })

  it('has no pager when everything fits on one page', async () => {
    const bots = matching(SAMPLE, { type: 'Bot' })
    expect(bots.length).toBeGreaterThan(0)
    expect(bots.length).toBeLessThanOrEqual(100)
    const { root } = await htmlPage(sampleApp, '/users?type=Bot&pagination=100')
    expect(shownIds(root)).toEqual(bots.map((profile) => profile.id))
    expectNoPager(root)
  })

  it('combines filters and order; every pager link keeps page size, filters and order', async () => {
    const filters = { username: 'a', type: 'User' }
    const expected = expectedPage(filters, '-username', 20, 10)
    expect(expected.pages).toBeGreaterThan(25)
    const { root, main } = await htmlPage(sampleApp, '/users/20?pagination=10&type=user&order_by=-username&username=a')
    expect(shownIds(root)).toEqual(expected.ids)
    expectRangeText(main, `191–200 of ${thousands(expected.total)}`)
    expectPager(root, 20, expected.pages, { pagination: 10, order_by: '-username', username: 'a', type: 'user' })
    await expectAlternateMatches(sampleApp, root, expected.total)
  })

  it('shows a window of page numbers with a gap on each side in the middle, on one side at the ends', async () => {
    const pages = TOTAL / DEFAULT_PAGE_SIZE
    for (const [page, gaps] of [[1, 1], [20, 2], [pages, 1]] as const) {
      const { root } = await htmlPage(sampleApp, `/users/${page}`)
      expectPager(root, page, pages, { pagination: DEFAULT_PAGE_SIZE, order_by: 'id' })
      expect(pagerTokens(pagerOf(root)!).filter((token) => token.kind === 'gap'), `gaps on page ${page}`).toHaveLength(gaps)
    }
  })

  it('shows every page number and no gap when there are few pages', async () => {
    // The hostile fixture has 13 accounts: 3 pages of 5.
    const { root } = await htmlPage(hostileApp, '/users/2?pagination=5')
    expectPager(root, 2, 3, { pagination: 5, order_by: 'id' })
    const tokens = pagerTokens(pagerOf(root)!)
    expect(tokens.map((token) => token.kind === 'page' ? token.page : '…')).toEqual([1, 2, 3])
  })
})

describe('the search form', () => {
  function formOf (root: HTMLElement): HTMLElement {
    const forms = root.querySelectorAll('form').filter((form) => form.querySelector('[name="username"]'))
    expect(forms, 'one search form').toHaveLength(1)
    return forms[0]!
  }

  function control (form: HTMLElement, root: HTMLElement, name: string): HTMLElement {
    const controls = form.querySelectorAll(`[name="${name}"]`)
    expect(controls, `one "${name}" field`).toHaveLength(1)
    const field = controls[0]!
    const id = field.getAttribute('id')
    expect(id, `"${name}" has an id`).toBeTruthy()
    const labels = root.querySelectorAll('label').filter((label) => label.getAttribute('for') === id)
    expect(labels, `a <label for="${id}">`).toHaveLength(1)
    expect(labels[0]!.text.trim(), `the label of "${name}" says something`).toBeTruthy()
    return field
  }

  function selectedValue (select: HTMLElement): string {
    expect(select.tagName).toBe('SELECT')
    const options = select.querySelectorAll('option')
    const value = (option: HTMLElement) => option.getAttribute('value') ?? option.text.trim()
    const selected = options.filter((option) => option.hasAttribute('selected'))
    expect(selected.length, 'at most one option selected').toBeLessThanOrEqual(1)
    return value(selected[0] ?? options[0]!)
  }

  /** The query string a browser builds when the form is submitted as it stands. */
  function submission (form: HTMLElement): URLSearchParams {
    const params = new URLSearchParams()
    for (const field of form.querySelectorAll('[name]')) {
      const name = field.getAttribute('name')!
      if (field.tagName === 'SELECT') params.append(name, selectedValue(field))
      else if (field.tagName === 'INPUT' && !['submit', 'button', 'reset', 'image'].includes(field.getAttribute('type') ?? '')) {
        params.append(name, field.getAttribute('value') ?? '')
      }
    }
    return params
  }

  it('GETs /users with username, type, order_by and pagination, each labelled', async () => {
    const { root } = await htmlPage(sampleApp, '/users/2')
    const form = formOf(root)
    expect((form.getAttribute('method') ?? 'get').toLowerCase()).toBe('get')
    expect(new URL(form.getAttribute('action') ?? '/users/2', 'http://pages.test').pathname).toBe('/users')
    const username = control(form, root, 'username')
    expect(username.tagName).toBe('INPUT')
    const type = control(form, root, 'type')
    const orderBy = control(form, root, 'order_by')
    const pagination = control(form, root, 'pagination')

    const values = (select: HTMLElement) => select.querySelectorAll('option').map((option) => option.getAttribute('value') ?? option.text.trim())
    expect(values(type).map((value) => value.toLowerCase()).sort()).toEqual(['', 'bot', 'organization', 'user'])
    expect(new Set(values(orderBy))).toEqual(new Set(ORDER_BY_VALUES))
    for (const size of values(pagination)) {
      expect(Number(size)).toBeGreaterThanOrEqual(1)
      expect(Number(size)).toBeLessThanOrEqual(100)
    }
    // Defaults are shown when nothing is set.
    expect(username.getAttribute('value') ?? '').toBe('')
    expect(selectedValue(type)).toBe('')
    expect(selectedValue(orderBy)).toBe('id')
    expect(selectedValue(pagination)).toBe(String(DEFAULT_PAGE_SIZE))
  })

  it('shows the current values', async () => {
    const { root } = await htmlPage(sampleApp, '/users?username=ali&type=organization&order_by=-username&pagination=50')
    const form = formOf(root)
    expect(control(form, root, 'username').getAttribute('value')).toBe('ali')
    expect(selectedValue(control(form, root, 'type')).toLowerCase()).toBe('organization')
    expect(selectedValue(control(form, root, 'order_by'))).toBe('-username')
    expect(selectedValue(control(form, root, 'pagination'))).toBe('50')
  })

  it('shows a page size that is not among the usual choices', async () => {
    const { root } = await htmlPage(sampleApp, '/users?pagination=7')
    expect(selectedValue(control(formOf(root), root, 'pagination'))).toBe('7')
  })

  it('submitting the form as it stands gives the same rows back', async () => {
    for (const url of ['/users', '/users?username=ali&type=organization&order_by=-username&pagination=50']) {
      const { root } = await htmlPage(sampleApp, url)
      const submitted = `/users?${submission(formOf(root)).toString()}`
      const again = await htmlPage(sampleApp, submitted)
      expect(shownIds(again.root), submitted).toEqual(shownIds(root))
    }
  })

  it.each([
    ['/users?username=&type=&order_by=id&pagination=25', 1],
    ['/users?username=&type=&id=&order_by=&pagination=', 1],
    ['/?username=&type=', 1],
    ['/users/2?username=&type=&id=&order_by=&pagination=', 2]
  ])('empty fields mean "not set": %s', async (url, page) => {
    const { root } = await htmlPage(sampleApp, url)
    expect(shownIds(root)).toEqual(expectedPage({}, 'id', page, DEFAULT_PAGE_SIZE).ids)
  })
})

describe('query parameters', () => {
  it('ignores unknown parameters and leaves them out of every link', async () => {
    const { root, response } = await htmlPage(sampleApp, '/users/2?utm_source=x&pagination=10&fbclid=abc')
    const { root: plain } = await htmlPage(sampleApp, '/users/2?pagination=10')
    expect(shownIds(root)).toEqual(shownIds(plain))
    expect(shownIds(root)).toEqual(expectedPage({}, 'id', 2, 10).ids)
    for (const { name, value } of urlAttributes(root)) {
      expect(value.includes('utm_source') || value.includes('fbclid'), `${name}="${value}"`).toBe(false)
    }
    expect(root.querySelectorAll('[name="utm_source"], [name="fbclid"]')).toHaveLength(0)
    expect(response.body.includes('utm_source')).toBe(false)
    expectPager(root, 2, TOTAL / 10, { pagination: 10, order_by: 'id' })
    // The API rejects unknown parameters, so this also shows that none leaked into the alternate link.
    await expectAlternateMatches(sampleApp, root, TOTAL)
  })

  it.each(['/?utm_source=x', '/users?utm_source=x&utm_medium=y'])('%s still works', async (url) => {
    const { root } = await htmlPage(sampleApp, url)
    expect(shownIds(root)).toEqual(expectedPage({}, 'id', 1, DEFAULT_PAGE_SIZE).ids)
  })

  it.each([
    ['/users?type=User&type=Bot', 'type'],
    ['/users/2?pagination=10&pagination=10', 'pagination'],
    ['/users?username=a&username=', 'username'],
    ['/?order_by=id&order_by=-id', 'order_by']
  ])('a repeated known parameter is a 400 page: %s', async (url, name) => {
    const page = await htmlPage(sampleApp, url, 400)
    expectErrorPage(page)
    expect(normalized(page.main.text), 'the message names the parameter').toContain(name)
  })

  it.each([
    ['/users?pagination=0', 'pagination'],
    ['/users?pagination=101', 'pagination'],
    ['/users?pagination=abc', 'pagination'],
    ['/users?pagination=1e1', 'pagination'],
    ['/users?pagination=-5', 'pagination'],
    ['/users/abc', 'page'],
    ['/users/0', 'page'],
    ['/users/1.5', 'page'],
    ['/users/99999999999999999999', 'page'],
    ['/users?order_by=nope', 'order_by'],
    ['/users?type=robot', 'type'],
    [`/users?username=${'a'.repeat(40)}`, 'username'],
    ['/users?id=0', 'id'],
    ['/users?id=9007199254740992', 'id'],
    ['/users?id=12abc', 'id'],
    ['/?pagination=0', 'pagination']
  ])('a bad parameter is a 400 HTML page: %s', async (url, name) => {
    const page = await htmlPage(sampleApp, url, 400)
    expectErrorPage(page)
    expect(normalized(page.main.text), 'the message names the parameter').toContain(name)
  })

  // Fastify rejects these in its router, before the pages' own error handler runs.
  it.each([
    '/users/%ff',
    '/users/%E0%A4%A',
    `/users/${'9'.repeat(300)}`
  ])('a path the router cannot take is still a 400 HTML page: %s', async (url) => {
    expectErrorPage(await htmlPage(sampleApp, url, 400))
  })

  it.each([
    `/users?username=${'a'.repeat(39)}`,
    '/users?id=9007199254740991',
    `/users?id=${SAMPLE[0]!.id}`
  ])('values at the edges of their ranges are accepted: %s', async (url) => {
    await htmlPage(sampleApp, url, 200)
  })

  it.each([
    '/users/%00', '/users/-1', '/users/%201', '/users/1e3', '/users/0x10',
    '/users?username=%ff', '/users?username=%00', '/users?username=%25%5F%5C', '/users?username=%3Cscript%3E',
    '/users?pagination[]=1', '/users?type[x]=User', '/users?__proto__=x', '/users?constructor=x&toString=y',
    '/users?hasOwnProperty=1', '/users?order_by=%00', '/users?id=1.5', '/users?id=%20', '/users?type=__proto__',
    '/users?=x', '/users?&&&', '/users?page=abc', '/users?page=0',
    `/users?username=${'%F0%9F%98%80'.repeat(39)}`, '/users//2', '/users/2/', '/%2e%2e/etc/passwd', '/nope%ff'
  ])('never a 500 for %s', async (url) => {
    const response = await inject(sampleApp, url)
    expect(response.statusCode, url).toBeLessThan(500)
    expect(String(response.headers['content-type']), url).toContain('text/html')
    expect(parse(response.body).querySelector('h1'), url).not.toBeNull()
  })
})

describe('the JSON alternate', () => {
  it.each([
    '/users',
    '/users/2',
    '/users/5?pagination=10&order_by=-type',
    '/users?username=ALI&type=user&order_by=username&pagination=100',
    `/users?id=${SAMPLE[7]!.id}`
  ])('%s links to the same query in the API', async (url) => {
    const { root } = await htmlPage(sampleApp, url)
    const params = new URL(url, 'http://x').searchParams
    const filters: Filters = {}
    if (params.get('username')) filters.username = params.get('username')!
    if (params.get('type')) filters.type = params.get('type')!
    if (params.get('id')) filters.id = Number(params.get('id'))
    await expectAlternateMatches(sampleApp, root, matching(SAMPLE, filters).length)
  })
})

describe('not found', () => {
  it('a page past the end is a 404 page linking to the last page', async () => {
    const pages = TOTAL / DEFAULT_PAGE_SIZE
    const page = await htmlPage(sampleApp, `/users/${pages + 1}`, 404)
    expectErrorPage(page)
    const targets = page.main.querySelectorAll('a[href]').map((a) => a.getAttribute('href')!)
    expect(targets.some((href) => href.startsWith('/users') && linkQuery(href).page === pages), JSON.stringify(targets)).toBe(true)
  })

  it('the link to the last page keeps filters, order and page size, and drops unknown parameters', async () => {
    const expected = expectedPage({ type: 'Organization' }, '-username', 1, 10)
    expect(expected.pages).toBeGreaterThan(1)
    const url = '/users/999?type=organization&pagination=10&order_by=-username&utm_source=x'
    const page = await htmlPage(sampleApp, url, 404)
    expectErrorPage(page)
    const lastLinks = page.main.querySelectorAll('a[href]').map((a) => a.getAttribute('href')!)
      .filter((href) => href.startsWith('/users/') && linkQuery(href).page === expected.pages)
    expect(lastLinks, 'a link to the last page').toHaveLength(1)
    expectLinkTo(lastLinks[0], { page: expected.pages, pagination: 10, order_by: '-username', type: 'organization' }, 'the last page')
    for (const { value } of urlAttributes(page.root)) expect(value).not.toContain('utm_source')

    const last = await htmlPage(sampleApp, lastLinks[0]!)
    expect(shownIds(last.root)).toEqual(expectedPage({ type: 'Organization' }, '-username', expected.pages, 10).ids)
  })

  it.each(['/nope', '/users/2/extra', '/users/1/2/3', '/user', '/users.json'])('an unknown path is a 404 page: %s', async (url) => {
    expectErrorPage(await htmlPage(sampleApp, url, 404))
  })
})

describe('escaping what comes from the database', () => {
  const rowFor = (root: HTMLElement, id: number) => {
    const row = shownRows(root).find((candidate) => candidate.id === id)
    expect(row, `row ${id}`).toBeDefined()
    return row!
  }

  it('shows every hostile login as text, with no script element and quotes escaped in attributes', async () => {
    const { root, response } = await htmlPage(hostileApp, '/users?pagination=100')
    expect(root.querySelectorAll('script')).toHaveLength(0)
    expect(response.body.toLowerCase().includes('<script')).toBe(false)
    expect(shownIds(root)).toEqual(HOSTILE_PROFILES.map((profile) => profile.id))
    for (const profile of HOSTILE_PROFILES) {
      const row = rowFor(root, profile.id)
      expect(row.username, `login of ${profile.id}`).toBe(profile.username)
      expect(row.type).toBe(profile.type)
      const alt = row.img?.getAttribute('alt') ?? ''
      expect(alt.trim(), `alt of ${profile.id}`).toBeTruthy()
      expect(alt, `alt of ${profile.id} names the login`).toContain(profile.username)
    }
    // An unescaped quote would split the alt and leave stray attributes such as double'single.
    for (const element of root.querySelectorAll('*')) {
      for (const name of Object.keys(element.attributes)) expect(name, 'attribute name').toMatch(/^[a-z][a-z0-9-]*$/)
    }
    expectOnlyLocalAssets(root)
  })

  it('never puts a javascript: URL in an href or src: GitHub profile URL and a local placeholder instead', async () => {
    const hostile = HOSTILE_PROFILES[12]!
    const { root } = await htmlPage(hostileApp, '/users?pagination=100')
    for (const { name, value } of urlAttributes(root)) {
      expect(value.toLowerCase().includes('javascript:'), `${name}="${value}"`).toBe(false)
      expect(value.includes(hostile.url) || value.includes(hostile.avatar_url), `${name}="${value}"`).toBe(false)
    }
    const row = rowFor(root, hostile.id)
    expect(row.profileHref).toBe(`https://github.com/${hostile.username}`)
    const src = row.img?.getAttribute('src') ?? ''
    expect(src.startsWith('/static/'), `placeholder ${src}`).toBe(true)
    const placeholder = await inject(hostileApp, src)
    expect(placeholder.statusCode).toBe(200)
    expect(String(placeholder.headers['content-type'])).toContain('image/')
    // Safe URLs from the file are kept as they are.
    for (const profile of HOSTILE_PROFILES.filter((p) => p !== hostile)) {
      expect(rowFor(root, profile.id).profileHref).toBe(profile.url)
      expect(rowFor(root, profile.id).img?.getAttribute('src')).toBe(profile.avatar_url)
    }
  })

  it.each([
    ['<script>', 1],
    ['"double\'', 2],
    ['100%', 3],
    ['_', 5],
    ['\\', 7]
  ])('a search for %j is echoed as text in the form and matches literally', async (term, id) => {
    const { root } = await htmlPage(hostileApp, `/users?username=${encodeURIComponent(term)}`)
    expect(root.querySelectorAll('script')).toHaveLength(0)
    expect(shownIds(root)).toEqual([id])
    const inputs = root.querySelectorAll('input[name="username"]')
    expect(inputs).toHaveLength(1)
    expect(inputs[0]!.getAttribute('value')).toBe(term)
    for (const { value } of urlAttributes(root)) expect(value.includes('<') || value.includes('"')).toBe(false)
    await expectAlternateMatches(hostileApp, root, 1)
  })
})

describe('assets and layout', () => {
  it('uses only local assets, no inline script or style, on list, empty, error and not-found pages', async () => {
    for (const [url, status] of [['/users/2', 200], ['/users?username=zzzzzz', 200], ['/users?pagination=0', 400], ['/nope', 404]] as const) {
      const { root } = await htmlPage(sampleApp, url, status)
      expectOnlyLocalAssets(root)
      for (const link of root.querySelectorAll('link[rel="stylesheet"], link[rel="icon"], script[src], img')) {
        const target = link.getAttribute('href') ?? link.getAttribute('src')!
        if (!target.startsWith('/')) continue
        expect((await inject(sampleApp, target)).statusCode, `${target} is served`).toBe(200)
      }
    }
  })

  it('links Bootstrap and the app stylesheet, both served as text/css', async () => {
    const { root } = await htmlPage(sampleApp, '/users')
    const sheets = root.querySelectorAll('link[rel="stylesheet"]').map((link) => link.getAttribute('href'))
    expect(sheets).toContain('/static/bootstrap/css/bootstrap.min.css')
    expect(sheets).toContain('/static/css/app.css')
    for (const url of ['/static/bootstrap/css/bootstrap.min.css', '/static/css/app.css']) {
      const response = await inject(sampleApp, url)
      expect(response.statusCode, url).toBe(200)
      expect(String(response.headers['content-type']), url).toContain('text/css')
      expect(response.body.length, url).toBeGreaterThan(0)
    }
  })

  it.each(['/users', '/users/2', '/users?pagination=0', '/nope'])('%s is mobile-first: it has the viewport meta', async (url) => {
    const response = await inject(sampleApp, url)
    expectViewport(parse(response.body))
  })
})

describe('HTTP caching of pages', () => {
  it('sends ETag and Cache-Control, and 304 for a matching If-None-Match of the same URL only', async () => {
    const first = await inject(sampleApp, '/users/2')
    const tag = first.headers.etag as string
    expect(tag).toBeTruthy()
    expect(String(first.headers['cache-control'])).toContain('max-age')
    const again = await inject(sampleApp, '/users/2', { 'if-none-match': tag })
    expect(again.statusCode).toBe(304)
    expect(again.body).toBe('')
    const other = await inject(sampleApp, '/users/3', { 'if-none-match': tag })
    expect(other.statusCode).toBe(200)
    expect(other.headers.etag).not.toBe(tag)
  })
})
