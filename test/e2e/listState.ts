/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// What a users page in the browser shows, checked against the contract's model of the sample file:
// the URL, the rows, the row range, the form, the pager's current page, and no sideways scrolling.
import type { Locator, Page } from 'playwright-core'
import { expect } from 'vitest'
import type { OrderBy, Profile } from '../../app/schemas/profiles.js'
import { sampleAccountAt } from '../../app/seed/sampleAccounts.js'
import { expectedPage, type Filters } from '../helpers/contractModel.js'

export const DEFAULT_PAGE_SIZE = 25

export interface ListState {
  page: number
  pageSize: number
  orderBy: OrderBy
  filters: Filters
}

export const FIRST_PAGE: ListState = { page: 1, pageSize: DEFAULT_PAGE_SIZE, orderBy: 'id', filters: {} }

/** The accounts a sample database of `total` holds, from the generator itself. */
export function sampleProfiles (total: number): Profile[] {
  return Array.from({ length: total }, (_, index) => sampleAccountAt(index))
}

const thousands = (value: number) => value.toLocaleString('en-US')

/** The list state a URL asks for, with the contract's defaults filled in; empty values mean absent. */
export function stateOfUrl (href: string): ListState {
  const url = new URL(href)
  const segments = url.pathname.split('/').filter(Boolean)
  expect(segments[0] ?? 'users', `${href} is a users page`).toBe('users')
  const params = url.searchParams
  const filters: Filters = {}
  if (params.get('username')) filters.username = params.get('username')!
  if (params.get('type')) filters.type = params.get('type')!
  if (params.get('id')) filters.id = Number(params.get('id'))
  return {
    page: Number(segments[1] ?? params.get('page') ?? 1),
    pageSize: Number(params.get('pagination') || DEFAULT_PAGE_SIZE),
    orderBy: (params.get('order_by') || 'id') as OrderBy,
    filters
  }
}

export function pagerOf (page: Page): Locator {
  return page.getByRole('navigation', { name: 'Pages of users' })
}

/** Everything the checks read, in one trip to the page. */
function shownState () {
  const value = (id: string) => (document.getElementById(id) as HTMLInputElement | HTMLSelectElement | null)?.value
  const current = [...document.querySelectorAll('nav[aria-label="Pages of users"] [aria-current="page"]')]
  return {
    ids: [...document.querySelectorAll('.users-table tbody td.users-id')]
      .map((cell) => Number((cell.textContent ?? '').replaceAll(',', '').trim())),
    range: document.getElementById('results-range')?.textContent?.trim(),
    form: { username: value('filter-username'), type: value('filter-type'), order: value('filter-order'), size: value('filter-size') },
    current: current.map((element) => ({
      text: (element.textContent ?? '').trim(),
      visible: (element as HTMLElement).getClientRects().length > 0
    })),
    documentWidth: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
    viewportWidth: window.innerWidth
  }
}

/** The page in the browser is exactly `state`: in its URL and on screen. */
export async function expectListState (page: Page, sample: Profile[], state: ListState) {
  const where = page.url()
  expect(stateOfUrl(where), `state in the URL ${where}`).toEqual(state)
  const expected = expectedPage(sample, state.filters, state.orderBy, state.page, state.pageSize)
  const shown = await page.evaluate(shownState)

  expect(shown.ids, `rows of ${where}`).toEqual(expected.ids)
  const from = (state.page - 1) * state.pageSize + 1
  const range = expected.total === 0
    ? 'No users match'
    : `${thousands(from)}–${thousands(from + expected.ids.length - 1)} of ${thousands(expected.total)}`
  expect(shown.range, `range of ${where}`).toBe(range)
  expect(shown.form, `form of ${where}`).toEqual({
    username: state.filters.username ?? '',
    type: state.filters.type ?? '',
    order: state.orderBy,
    size: String(state.pageSize)
  })
  expect(shown.current, `current page in the pager of ${where}`)
    .toEqual(expected.pages > 1 ? [{ text: thousands(state.page), visible: true }] : [])
  expect(shown.documentWidth, `document width of ${where}`).toBeLessThanOrEqual(shown.viewportWidth)
}

/** The document is no wider than the viewport: nothing to scroll horizontally. */
export async function expectNoSidewaysScrolling (page: Page) {
  const { documentWidth, viewportWidth } = await page.evaluate(shownState)
  expect(documentWidth, `document width of ${page.url()}`).toBeLessThanOrEqual(viewportWidth)
}

/** Runs `action` (a click, Enter) and waits until the browser has loaded another URL. */
export async function followTo (page: Page, action: () => Promise<void>) {
  const before = page.url()
  await Promise.all([
    page.waitForURL((url) => url.href !== before, { waitUntil: 'load' }),
    action()
  ])
}
