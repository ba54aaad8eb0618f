/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The pages by keyboard alone, at phone and desktop size: Tab reaches every control and link in
// reading order with a focus ring that shows, Enter submits the search, a skip link leads to the results.
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { useBrowserAndServer, VIEWPORTS } from './browserHarness.js'
import { expectedPage } from '../helpers/contractModel.js'
import { expectListState, FIRST_PAGE, followTo, sampleProfiles } from './listState.js'

const TOTAL = 300
const SAMPLE = sampleProfiles(TOTAL)

const e2e = useBrowserAndServer(TOTAL)

interface Stop {
  key: string
  rect: { x: number, y: number, width: number, height: number }
  scrollY: number
  ring: boolean
}

// In the page: an element's key (tag, id, text and target, enough to tell every stop apart).
// Page functions are sent to the browser alone, so each carries its own copy.

/** Every element Tab should reach, in document order: rendered links, buttons and fields (the skip link is clipped, not hidden). */
function tabbableKeys (): string[] {
  const keyOf = (element: Element) => [element.tagName.toLowerCase(), element.id,
    (element.textContent ?? '').trim().replace(/\s+/g, ' '), element.getAttribute('href') ?? ''].join('|')
  return [...document.querySelectorAll<HTMLElement>('a[href], button, input, select, textarea, [tabindex]')]
    .filter((element) => element.tabIndex >= 0 && !(element as HTMLButtonElement).disabled &&
      element.getClientRects().length > 0 && getComputedStyle(element).visibility !== 'hidden')
    .map(keyOf)
}

/** The focused element's key, where it is, and whether its style draws a focus indicator. */
function focusedStop (): Stop | null {
  const keyOf = (element: Element) => [element.tagName.toLowerCase(), element.id,
    (element.textContent ?? '').trim().replace(/\s+/g, ' '), element.getAttribute('href') ?? ''].join('|')
  const element = document.activeElement
  if (!element || element === document.body) return null
  const style = getComputedStyle(element)
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
  const shadow = style.boxShadow !== 'none' && style.boxShadow !== ''
  const { x, y, width, height } = element.getBoundingClientRect()
  return { key: keyOf(element), rect: { x, y, width, height }, scrollY: window.scrollY, ring: outline || shadow }
}

const tabbableInDocumentOrder = (page: Page) => page.evaluate(tabbableKeys)
const focused = (page: Page) => page.evaluate(focusedStop)

/** Presses Tab until focus leaves the page, recording each stop and calling `atStop` while it has focus. */
async function tabThrough (page: Page, limit: number, atStop?: (stop: Stop) => Promise<void>): Promise<Stop[]> {
  const stops: Stop[] = []
  for (let presses = 0; presses < limit; presses++) {
    await page.keyboard.press('Tab')
    const stop = await focused(page)
    if (!stop) break
    stops.push(stop)
    await atStop?.(stop)
  }
  return stops
}

/** The area around an element in the viewport, wide enough to hold a focus ring drawn outside it. */
function around (stop: Stop, viewport: { width: number, height: number }) {
  const x = Math.max(0, Math.floor(stop.rect.x) - 6)
  const y = Math.max(0, Math.floor(stop.rect.y) - 6)
  return {
    x,
    y,
    width: Math.min(viewport.width - x, Math.ceil(stop.rect.width) + 12),
    height: Math.min(viewport.height - y, Math.ceil(stop.rect.height) + 12)
  }
}

describe.each(VIEWPORTS)('at $name size ($width×$height)', (viewport) => {
  it('reaches every control and link with Tab, in reading order, each with a visible focus ring', () =>
    e2e.withPage({ viewport }, async ({ page, open }) => {
      const path = '/users/2?pagination=10'
      await open(path)
      const expected = await tabbableInDocumentOrder(page)
      const stops = await tabThrough(page, expected.length + 5)
      expect(stops.map((stop) => stop.key), 'Tab order').toEqual(expected)

      // The order a reader expects: skip link, site header, the form's fields, the type chips, the
      // downloads, the sorting headings, the rows, the pager, the go-to-page form.
      const kinds = stops.map(({ key }) => {
        const [tag, id, text, href] = key.split('|') as [string, string, string, string]
        if (text === 'Skip to the results') return 'skip'
        if (id.startsWith('filter-') || id === 'jump-page') return id
        if (/^(All types|User|Organization|Bot) [\d,]+$/.test(text)) return `chip ${text.split(' ')[0]}`
        if (href.startsWith('/api/users/profiles.')) return `download ${text}`
        if (['Username', 'Type', 'Id'].includes(text)) return `heading ${text}`
        if (tag === 'button') return `button ${text}`
        if (href.startsWith('https://github.com/')) return 'row'
        if (/^(First|Previous|Next|Last|[\d,]+)$/.test(text)) return `pager ${text}`
        return `link ${text}`
      })
      const rows = expectedPage(SAMPLE, {}, 'id', 2, 10).ids.length
      const numbers = viewport.name === 'phone' ? ['1', '2', '3'] : ['1', '2', '3', '4']
      expect(kinds).toEqual([
        'skip', 'link ghusers', 'link JSON API',
        'filter-username', 'filter-type', 'filter-order', 'filter-size', 'button Search',
        'chip All', 'chip User', 'chip Organization', 'chip Bot', 'download CSV', 'download NDJSON',
        'heading Username', 'heading Type', 'heading Id',
        ...Array(rows).fill('row'),
        'pager First', 'pager Previous', ...numbers.map((number) => `pager ${number}`), 'pager Next', 'pager Last',
        'jump-page', 'button Go'
      ])

      // Reading order on screen: each stop is below the previous one, or on its line and to its right.
      for (let i = 1; i < stops.length; i++) {
        const [before, after] = [stops[i - 1]!, stops[i]!]
        const top = (stop: Stop) => stop.rect.y + stop.scrollY
        const below = top(after) >= top(before) + before.rect.height / 2
        const sameLine = Math.abs(top(after) - top(before)) < Math.max(before.rect.height, after.rect.height) / 2
        expect(below || (sameLine && after.rect.x >= before.rect.x), `${before.key} then ${after.key}`).toBe(true)
      }

      // A focus ring that the style asks for and that actually changes the pixels around the element.
      const focusedPictures: Array<{ stop: Stop, picture: Buffer }> = []
      await open(path)
      await tabThrough(page, stops.length, async (stop) => {
        expect(stop.ring, `focus style of ${stop.key}`).toBe(true)
        expect(stop.rect.width, `${stop.key} is on screen when focused`).toBeGreaterThan(1)
        expect(stop.rect.y >= 0 && stop.rect.y + stop.rect.height <= viewport.height, `${stop.key} scrolled into view`).toBe(true)
        focusedPictures.push({ stop, picture: await page.screenshot({ clip: around(stop, viewport), animations: 'disabled' }) })
      })
      await open(path)
      for (const { stop, picture } of focusedPictures) {
        await page.evaluate((y) => window.scrollTo(0, y), stop.scrollY)
        const unfocused = await page.screenshot({ clip: around(stop, viewport), animations: 'disabled' })
        expect(unfocused.equals(picture), `focus of ${stop.key} shows`).toBe(false)
      }
    }))

  it('submits the search with Enter in the field and with Enter on the Search button', () =>
    e2e.withPage({ viewport }, async ({ page, open }) => {
      await open('/')
      for (let presses = 0; presses < 4; presses++) await page.keyboard.press('Tab')
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('filter-username')
      await page.keyboard.type('ana')
      await followTo(page, () => page.keyboard.press('Enter'))
      await expectListState(page, SAMPLE, { ...FIRST_PAGE, filters: { username: 'ana' } })

      await page.locator('#filter-username').focus()
      await page.keyboard.press('Control+A')
      await page.keyboard.type('rust')
      for (let presses = 0; presses < 4; presses++) await page.keyboard.press('Tab')
      expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Search')
      await followTo(page, () => page.keyboard.press('Enter'))
      await expectListState(page, SAMPLE, { ...FIRST_PAGE, filters: { username: 'rust' } })
    }))

  it('has a skip link, first in the Tab order and visible when focused, that leads to the results', () =>
    e2e.withPage({ viewport }, async ({ page, open }) => {
      await open('/users/2?pagination=10')
      const skip = page.getByRole('link', { name: 'Skip to the results' })
      expect((await skip.boundingBox())!.width, 'hidden until focused').toBeLessThanOrEqual(1)
      await page.keyboard.press('Tab')
      expect(await skip.evaluate((element) => element === document.activeElement)).toBe(true)
      const box = (await skip.boundingBox())!
      expect(box.width).toBeGreaterThan(40)
      expect(box.y >= 0 && box.y + box.height <= viewport.height).toBe(true)

      await page.keyboard.press('Enter')
      await page.waitForURL(/#results$/)
      expect(await page.evaluate(() => document.activeElement?.id), 'focus moves to the results').toBe('results')
      await page.keyboard.press('Tab')
      const firstLink = page.locator('#results a').first()
      expect(await firstLink.textContent()).toBe('CSV')
      expect(await firstLink.evaluate((element) => element === document.activeElement), 'next Tab: the results\' first link').toBe(true)
    }))

  it('has a skip link to the main content on the error pages', () =>
    e2e.withPage({ viewport }, async ({ page, open }) => {
      await open('/users/99', 404)
      await page.keyboard.press('Tab')
      const skip = page.getByRole('link', { name: 'Skip to main content' })
      expect(await skip.evaluate((element) => element === document.activeElement)).toBe(true)
      await page.keyboard.press('Enter')
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('main')
      await page.keyboard.press('Tab')
      expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Go to the last page')
    }))
})
