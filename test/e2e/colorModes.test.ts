/// <reference lib="dom" />
// Light and dark: the pages follow prefers-color-scheme with Bootstrap 5.3's own colour-mode values,
// with no script, at phone and desktop size.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { BOOTSTRAP_DIST_DIR } from '../../app/paths.js'
import { useBrowserAndServer, VIEWPORTS } from './browserHarness.js'

const e2e = useBrowserAndServer(100)

/** Bootstrap's `[data-bs-theme=dark]` rules, read from the CSS the app serves: selector → property names. */
function bootstrapDarkRules (): Map<string, string[]> {
  const css = readFileSync(join(BOOTSTRAP_DIST_DIR, 'css', 'bootstrap.css'), 'utf8')
  const rules = new Map<string, string[]>()
  for (const [, selector, body] of css.matchAll(/(?:^|\n)([^{}\n][^{}]*)\{([^{}]*)\}/g)) {
    const trimmed = selector!.trim()
    if (!trimmed.startsWith('[data-bs-theme=dark]')) continue
    const element = trimmed.slice('[data-bs-theme=dark]'.length).trim() || ':root'
    const names = [...body!.matchAll(/(?:^|;)\s*([-a-z]+)\s*:/g)].map((match) => match[1]!)
    rules.set(element, [...(rules.get(element) ?? []), ...names])
  }
  return rules
}

/** The computed values of `names` on the first element matching each selector present on the page. */
function computedValues (page: Page, rules: Array<[string, string[]]>): Promise<Record<string, string>> {
  return page.evaluate((rules) => {
    const values: Record<string, string> = {}
    for (const [selector, names] of rules) {
      const element = selector === ':root' ? document.documentElement : document.querySelector(selector.replace(/::after$/, ''))
      if (!element) continue
      const style = getComputedStyle(element, selector.endsWith('::after') ? '::after' : null)
      // Custom properties keep their tokens as written: the served CSS is minified, ours is not.
      for (const name of names) values[`${selector} ${name}`] = style.getPropertyValue(name).trim().replace(/\s*,\s*/g, ',')
    }
    return values
  }, rules)
}

const colours = (page: Page) => page.evaluate(() => {
  const body = getComputedStyle(document.body)
  const avatar = document.querySelector('.avatar')
  return {
    background: body.backgroundColor,
    text: body.color,
    colorScheme: getComputedStyle(document.documentElement).colorScheme,
    placeholder: avatar ? getComputedStyle(avatar).backgroundImage : ''
  }
})

describe.each(VIEWPORTS)('at $name size ($width×$height)', (viewport) => {
  it.each([
    ['light', 'rgb(255, 255, 255)', 'rgb(33, 37, 41)', '/static/img/avatar-placeholder.svg'],
    ['dark', 'rgb(33, 37, 41)', 'rgb(222, 226, 230)', '/static/img/avatar-placeholder-dark.svg']
  ] as const)('is %s when the system prefers it', (colorScheme, background, text, placeholder) =>
    e2e.withPage({ viewport, colorScheme }, async ({ page, open }) => {
      for (const [path, status] of [['/users', 200], ['/nope', 404]] as const) {
        await open(path, status)
        const shown = await colours(page)
        expect(shown.background, `${colorScheme} background of ${path}`).toBe(background)
        expect(shown.text, `${colorScheme} text of ${path}`).toBe(text)
        expect(shown.colorScheme === 'dark', `color-scheme of ${path}: ${shown.colorScheme}`).toBe(colorScheme === 'dark')
        if (path === '/users') expect(shown.placeholder).toContain(placeholder)
        expect(await page.locator('script').count(), 'no script needed').toBe(0)
      }
    }))

  it("uses exactly Bootstrap's dark colour-mode values, and follows a change of preference without a reload", () =>
    e2e.withPage({ viewport, colorScheme: 'dark' }, async ({ page, open }) => {
      const rules = [...bootstrapDarkRules()]
      expect(rules.find(([selector]) => selector === ':root')?.[1].length, "Bootstrap's dark variables").toBeGreaterThan(40)
      await open('/users')
      const followingTheSystem = await computedValues(page, rules)
      expect(followingTheSystem[':root --bs-body-bg']).toBe('#212529')
      expect(followingTheSystem['.form-select --bs-form-select-bg-img'], 'the dark select arrow').toContain('dee2e6')
      // Bootstrap's own dark mode, by its attribute, must give the same values.
      await page.evaluate(() => document.documentElement.setAttribute('data-bs-theme', 'dark'))
      expect(await computedValues(page, rules)).toEqual(followingTheSystem)
      // And its light mode differs, so the comparison means something.
      await page.evaluate(() => document.documentElement.setAttribute('data-bs-theme', 'light'))
      expect((await computedValues(page, rules))[':root --bs-body-bg']).toBe('#fff')
      await page.evaluate(() => document.documentElement.removeAttribute('data-bs-theme'))

      await page.emulateMedia({ colorScheme: 'light' })
      expect((await colours(page)).background).toBe('rgb(255, 255, 255)')
      await page.emulateMedia({ colorScheme: 'dark' })
      expect((await colours(page)).background).toBe('rgb(33, 37, 41)')
    }))
})
