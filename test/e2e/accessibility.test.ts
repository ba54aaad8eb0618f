/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Accessibility of every page type at phone and desktop size, light and dark: axe-core finds no
// violation, and the structure is what assistive technology needs (landmarks, headings, labels, pager).
import { AxeBuilder } from '@axe-core/playwright'
import type { Result } from 'axe-core'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { useBrowserAndServer, VIEWPORTS } from './browserHarness.js'

const TOTAL = 300

/** One URL of each page type, with its status. */
const PAGE_TYPES = [
  { type: 'list', path: '/users/2', status: 200 },
  { type: 'empty list', path: '/users?username=nobody-has-this', status: 200 },
  { type: '400', path: '/users?pagination=0', status: 400 },
  { type: '404', path: '/users/99', status: 404 }
] as const

const e2e = useBrowserAndServer(TOTAL)

const describeViolation = (violation: Result) =>
  `${violation.impact} ${violation.id} (${violation.help}): ${violation.nodes.map((node) =>
    `${node.target.join(' ')} ${node.failureSummary?.replace(/\s+/g, ' ') ?? ''}`).join(' | ')}`

/** WCAG contrast of an element's text on its own background colour (both opaque). */
async function textContrast (page: Page, selector: string): Promise<number> {
  const [color, background] = await page.locator(selector).evaluate((element) => {
    const style = getComputedStyle(element)
    return [style.color, style.backgroundColor]
  })
  const channels = (css: string) => {
    const [r, g, b, alpha = 1] = (css.match(/[\d.]+/g) ?? []).map(Number) as [number, number, number, number?]
    expect(alpha, `${css} is opaque`).toBe(1)
    return [r, g, b]
  }
  const luminance = (css: string) => {
    const [r, g, b] = channels(css).map((value) => {
      const c = value / 255
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
    }) as [number, number, number]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b
  }
  const [lighter, darker] = [luminance(color), luminance(background)].sort((a, b) => b - a) as [number, number]
  return (lighter + 0.05) / (darker + 0.05)
}

/** Headings as (level, text), in document order, hidden ones included: screen readers list them all. */
function headingsOf (): Array<{ level: number, text: string }> {
  return [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')]
    .map((heading) => ({ level: Number(heading.tagName[1]), text: (heading.textContent ?? '').trim() }))
}

/** Form controls with no label element naming them. */
function unlabelledControls (): string[] {
  return [...document.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input, select, textarea')]
    .filter((control) => control.type !== 'hidden')
    .filter((control) => ![...(control.labels ?? [])].some((label) => (label.textContent ?? '').trim() !== ''))
    .map((control) => control.outerHTML.slice(0, 80))
}

async function expectStructure (page: Page, type: string) {
  expect(await page.getByRole('banner').count(), `one banner on the ${type} page`).toBe(1)
  expect(await page.getByRole('main').count(), `one main on the ${type} page`).toBe(1)
  expect(await page.getByRole('contentinfo').count(), `one contentinfo on the ${type} page`).toBe(1)
  expect(await page.getByRole('navigation', { name: 'Site' }).count(), `the site navigation on the ${type} page`).toBe(1)

  const headings = await page.evaluate(headingsOf)
  expect(headings.filter((heading) => heading.level === 1), `one h1 on the ${type} page`).toHaveLength(1)
  expect(headings[0]?.level, `the ${type} page starts with its h1`).toBe(1)
  headings.forEach((heading, i) => {
    if (i > 0) expect(heading.level, `${heading.text} skips no level`).toBeLessThanOrEqual(headings[i - 1]!.level + 1)
  })
  expect(await page.evaluate(unlabelledControls), `labels on the ${type} page`).toEqual([])
}

describe.each(VIEWPORTS)('at $name size ($width×$height)', (viewport) => {
  describe.each(['light', 'dark'] as const)('in the %s colour scheme', (colorScheme) => {
    it('no page type has an axe violation', () => e2e.withPage({ viewport, colorScheme }, async ({ page, open }) => {
      for (const { type, path, status } of PAGE_TYPES) {
        await open(path, status)
        // Legacy mode runs axe in the page itself: one frame, no extra page to open.
        const results = await new AxeBuilder({ page }).setLegacyMode().analyze()
        expect(results.violations.map(describeViolation), `axe on the ${type} page`).toEqual([])
        expect(results.passes.some((rule) => rule.id === 'color-contrast'), 'the color-contrast rule passed on text').toBe(true)
        // Where axe cannot tell (text over a background image), the only case is a select's arrow: judge it here.
        for (const rule of results.incomplete) {
          expect(rule.id, `axe could not decide: ${describeViolation(rule)}`).toBe('color-contrast')
          for (const node of rule.nodes) {
            const selector = node.target.join(' ')
            expect(node.failureSummary, selector).toContain('background image')
            expect(await page.locator(selector).evaluate((element) => element.matches('.form-select')), selector).toBe(true)
            expect(await textContrast(page, selector), `contrast of ${selector}`).toBeGreaterThanOrEqual(4.5)
          }
        }
      }
    }))
  })

  it('has landmarks, headings in order and a label on every form control on every page type', () =>
    e2e.withPage({ viewport }, async ({ page, open }) => {
      for (const { type, path, status } of PAGE_TYPES) {
        await open(path, status)
        await expectStructure(page, type)
      }

      await open('/users/2')
      expect(await page.getByRole('search', { name: 'Filter users' }).count(), 'the form is a named search landmark').toBe(1)
      expect(await page.getByRole('region', { name: 'Results' }).count(), 'the results are a named region').toBe(1)
      const pager = page.getByRole('navigation', { name: 'Pages of users' })
      expect(await pager.count(), 'the pager is a nav with an accessible name').toBe(1)
      expect(await pager.getByRole('link', { name: '2', exact: true }).getAttribute('aria-current')).toBe('page')
      expect(await page.evaluate(headingsOf)).toEqual([
        { level: 1, text: 'GitHub users' },
        { level: 2, text: 'Results' }
      ])
      for (const label of ['Username contains', 'Type', 'Order', 'Per page']) {
        expect(await page.getByLabel(label, { exact: true }).count(), `a control labelled ${label}`).toBe(1)
      }
      const avatar = page.locator('.users-table img').first()
      expect(await avatar.getAttribute('alt')).toMatch(/^Avatar of \S+/)
    }))
})
