// The pages in chromium at phone and desktop size: paging by clicking, the form, the URL as the
// whole state (reload, back, forward), error pages with a way back, and no problems on the way.
import { describe, expect, it } from 'vitest'
import { useBrowserAndServer, VIEWPORTS } from './browserHarness.js'
import { expectedPage } from '../helpers/contractModel.js'
import {
  expectListState, expectNoSidewaysScrolling, FIRST_PAGE, followTo, pagerOf, sampleProfiles, type ListState
} from './listState.js'

const TOTAL = 1000
const SAMPLE = sampleProfiles(TOTAL)
const LAST = Math.ceil(TOTAL / FIRST_PAGE.pageSize)

const e2e = useBrowserAndServer(TOTAL)

describe.each(VIEWPORTS)('at $name size ($width×$height)', (viewport) => {
  it('pages by clicking next, last and a page number; each page is in the URL, survives reload, back and forward', () =>
    e2e.withPage({ viewport }, async ({ page, open }) => {
      const pageState = (number: number): ListState => ({ ...FIRST_PAGE, page: number })
      const pager = pagerOf(page)

      await open('/')
      await expectListState(page, SAMPLE, FIRST_PAGE)
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('GitHub users')

      await followTo(page, () => pager.getByRole('link', { name: 'Next' }).click())
      await expectListState(page, SAMPLE, pageState(2))

      await followTo(page, () => pager.getByRole('link', { name: 'Last' }).click())
      await expectListState(page, SAMPLE, pageState(LAST))
      expect(await pager.getByRole('link', { name: 'Next' }).count(), 'no Next link on the last page').toBe(0)

      // The page before the current one is a visible number at both sizes.
      await followTo(page, () => pager.getByRole('link', { name: String(LAST - 1), exact: true }).click())
      await expectListState(page, SAMPLE, pageState(LAST - 1))

      await page.reload()
      await expectListState(page, SAMPLE, pageState(LAST - 1))

      for (const number of [LAST, 2, 1]) {
        await page.goBack()
        await expectListState(page, SAMPLE, pageState(number))
      }
      await page.goForward()
      await expectListState(page, SAMPLE, pageState(2))

      await followTo(page, () => pager.getByRole('link', { name: 'First' }).click())
      await expectListState(page, SAMPLE, FIRST_PAGE)
    }))

  it('changes page size, searches a username, filters by type and changes order, all kept in the URL', () =>
    e2e.withPage({ viewport }, async ({ page, open }) => {
      const search = () => page.getByRole('button', { name: 'Search' }).click()
      const states: ListState[] = []
      const reached = async (state: ListState) => {
        await expectListState(page, SAMPLE, state)
        states.push(state)
      }

      await open('/users/3')
      await reached({ ...FIRST_PAGE, page: 3 })

      await page.getByLabel('Per page').selectOption('10')
      await followTo(page, search)
      const sized: ListState = { ...FIRST_PAGE, pageSize: 10 }
      await reached(sized)

      await page.getByLabel('Username contains').fill('rust')
      await followTo(page, () => page.getByLabel('Username contains').press('Enter'))
      const searched: ListState = { ...sized, filters: { username: 'rust' } }
      await reached(searched)

      await page.getByLabel('Type', { exact: true }).selectOption('User')
      await followTo(page, search)
      const typed: ListState = { ...searched, filters: { username: 'rust', type: 'User' } }
      await reached(typed)

      await page.getByLabel('Order').selectOption('-username')
      await followTo(page, search)
      const ordered: ListState = { ...typed, orderBy: '-username' }
      await reached(ordered)

      // The filters narrow the list to more than one page, and the pager keeps them.
      const expected = expectedPage(SAMPLE, ordered.filters, ordered.orderBy, 1, ordered.pageSize)
      expect(expected.pages, 'the filtered list has a second page').toBeGreaterThan(1)
      expect(expected.total, 'the type filter narrows the search').toBeLessThan(
        expectedPage(SAMPLE, searched.filters, 'id', 1, 10).total)
      await followTo(page, () => pagerOf(page).getByRole('link', { name: 'Next' }).click())
      await reached({ ...ordered, page: 2 })

      await page.reload()
      await expectListState(page, SAMPLE, states.at(-1)!)
      for (const state of states.slice(0, -1).reverse()) {
        await page.goBack()
        await expectListState(page, SAMPLE, state)
      }
      for (const state of states.slice(1)) {
        await page.goForward()
        await expectListState(page, SAMPLE, state)
      }
    }))

  it('shows the 400 page for a bad URL and the 404 page past the end, each with a working way back', () =>
    e2e.withPage({ viewport }, async ({ page, open, allowStatus }) => {
      const main = page.getByRole('main')
      for (const bad of ['/users?pagination=0', '/users?order_by=age', '/users/two', '/users/%E0%A4%A']) {
        await open(bad, 400)
        expect(await page.getByRole('heading', { level: 1 }).textContent(), bad).toBe('Bad Request')
        await expectNoSidewaysScrolling(page)
        await followTo(page, () => main.getByRole('link', { name: 'Back to the first page' }).click())
        await expectListState(page, SAMPLE, FIRST_PAGE)
      }

      const pastTheEnd = `/users/${LAST + 1}`
      await open(pastTheEnd, 404)
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Not Found')
      expect(await main.textContent()).toContain(`there are ${LAST} pages`)
      await expectNoSidewaysScrolling(page)
      await followTo(page, () => main.getByRole('link', { name: 'Go to the last page' }).click())
      await expectListState(page, SAMPLE, { ...FIRST_PAGE, page: LAST })

      allowStatus(pastTheEnd, 404)
      const back = await page.goBack()
      expect(back?.status(), 'the 404 page again after going back').toBe(404)
      await followTo(page, () => main.getByRole('link', { name: 'Back to the first page' }).click())
      await expectListState(page, SAMPLE, FIRST_PAGE)

      await open('/no/such/page', 404)
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Page not found')
      await followTo(page, () => main.getByRole('link', { name: 'Back to the first page' }).click())
      await expectListState(page, SAMPLE, FIRST_PAGE)
    }))
})
