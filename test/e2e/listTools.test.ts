/// <reference lib="dom" />
// The list's tools in chromium, at phone and desktop size, light and dark: type chips, sorting
// headings, go to page N and the downloads, by keyboard alone, with no axe violation and no sideways scroll.
import { AxeBuilder } from '@axe-core/playwright'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { ordered } from '../helpers/contractModel.js'
import { useBrowserAndServer, VIEWPORTS } from './browserHarness.js'
import { sampleProfiles } from './listState.js'

const TOTAL = 300
const SAMPLE = sampleProfiles(TOTAL)
const e2e = useBrowserAndServer(TOTAL)

/** Tabs until the focused element matches `selector`; fails if Tab never reaches it. */
async function tabTo (page: Page, selector: string, limit = 60): Promise<void> {
  for (let presses = 0; presses < limit; presses++) {
    await page.keyboard.press('Tab')
    if (await page.evaluate((wanted) => document.activeElement?.matches(wanted) ?? false, selector)) return
  }
  throw new Error(`Tab never reached ${selector}`)
}

const sideways = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
const shownIds = (page: Page) => page.locator('tbody .users-id').evaluateAll((cells) => cells.map((cell) => Number(cell.textContent)))

describe.each(VIEWPORTS)('on a $name ($width px)', (viewport) => {
  describe.each(['light', 'dark'] as const)('in the %s colour scheme', (colorScheme) => {
    it('shows the tools with no axe violation and no horizontal scroll', () => e2e.withPage({ viewport, colorScheme }, async ({ page, open }) => {
      for (const path of ['/users/2?type=Organization&order_by=-username&pagination=10', `/users/${TOTAL / 10}?pagination=10`]) {
        await open(path)
        await expect(page.locator('nav[aria-label="Filter by type"] a[aria-current="true"]').count()).resolves.toBe(1)
        for (const selector of ['.downloads a', 'th[aria-sort] a', '#jump-page']) await expect(page.locator(selector).first().isVisible()).resolves.toBe(true)
        const results = await new AxeBuilder({ page }).setLegacyMode().analyze()
        expect(results.violations.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`)).toEqual([])
        expect(await sideways(page)).toBe(0)
      }
    }))
  })

  it('filters by a chip, sorts by a heading and reverses it, by keyboard', () => e2e.withPage({ viewport }, async ({ page, open }) => {
    await open('/users?pagination=10')
    await tabTo(page, 'nav[aria-label="Filter by type"] a[href*="type=Bot"]')
    await Promise.all([page.waitForURL(/type=Bot/), page.keyboard.press('Enter')])
    await expect(page.locator('a[aria-current="true"]').textContent()).resolves.toContain('Bot')
    const bots = SAMPLE.filter((profile) => profile.type === 'Bot')
    expect(await shownIds(page)).toEqual(bots.slice(0, 10).map((profile) => profile.id))

    await open('/users?pagination=10')
    await tabTo(page, 'th.users-sort-username a')
    await Promise.all([page.waitForURL(/order_by=username/), page.keyboard.press('Enter')])
    await expect(page.locator('th.users-sort-username').getAttribute('aria-sort')).resolves.toBe('ascending')
    expect(await shownIds(page)).toEqual(ordered(SAMPLE, 'username').slice(0, 10).map((profile) => profile.id))
    await tabTo(page, 'th.users-sort-username a')
    await Promise.all([page.waitForURL(/order_by=-username/), page.keyboard.press('Enter')])
    await expect(page.locator('th.users-sort-username').getAttribute('aria-sort')).resolves.toBe('descending')
    expect(await shownIds(page)).toEqual(ordered(SAMPLE, '-username').slice(0, 10).map((profile) => profile.id))
  }))

  it('goes to page N by the form, and past the end to the 404 page and its way to the last page', () => e2e.withPage({ viewport }, async ({ page, open, allowStatus }) => {
    await open('/users?pagination=10&order_by=-id')
    await tabTo(page, '#jump-page')
    await page.keyboard.press('ControlOrMeta+a')
    await page.keyboard.type('17')
    await Promise.all([page.waitForURL(/page=17/), page.keyboard.press('Enter')])
    await expect(page.locator('[aria-current="page"]').textContent()).resolves.toContain('17')
    expect(await shownIds(page)).toEqual(ordered(SAMPLE, '-id').slice(160, 170).map((profile) => profile.id))

    allowStatus('/users?pagination=10&order_by=-id&page=999', 404)
    await page.fill('#jump-page', '999')
    await Promise.all([page.waitForURL(/page=999/), page.press('#jump-page', 'Enter')])
    await expect(page.locator('h1').textContent()).resolves.toBe('Not Found')
    const last = page.locator('main a', { hasText: 'Go to the last page' })
    await last.focus()
    await Promise.all([page.waitForURL(/\/users\/30\?/), page.keyboard.press('Enter')])
    await expect(page.locator('[aria-current="page"]').textContent()).resolves.toContain('30')
  }))

  it('downloads the list it shows', () => e2e.withPage({ viewport }, async ({ page, open }) => {
    await open('/users?type=Organization&order_by=username')
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('.downloads a:text("CSV")')])
    expect(download.suggestedFilename()).toBe('ghusers-type-organization-order-username.csv')
    const text = await (await download.createReadStream()).toArray()
    const lines = Buffer.concat(text).toString('utf8').trimEnd().split('\r\n')
    expect(lines.length).toBe(1 + SAMPLE.filter((profile) => profile.type === 'Organization').length)
  }))
})
