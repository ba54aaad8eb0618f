/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Entry of `npm run screenshots`: pictures of the users list at phone and desktop size, light and dark,
// for the README. The app on 1,000 sample accounts, Debian's chromium, offline (avatars show the placeholder).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { chromium } from 'playwright-core'
import { buildApp } from '../app/app.js'
import { createConfig } from '../app/config.js'
import { PROJECT_ROOT } from '../app/paths.js'
import { sampleAccounts } from '../app/seed/sampleAccounts.js'
import { seedDatabase } from '../app/seed/seedDatabase.js'

const CHROMIUM_PATH = '/usr/bin/chromium'
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'
]
const SIZES = [
  { name: 'phone', width: 375, height: 812, deviceScaleFactor: 2 },
  { name: 'desktop', width: 1280, height: 800, deviceScaleFactor: 1 }
] as const
const SCHEMES = ['light', 'dark'] as const

const { values } = parseArgs({ options: { out: { type: 'string', default: join(PROJECT_ROOT, 'docs', 'screenshots') } } })
const outDir = resolve(values.out)
mkdirSync(outDir, { recursive: true })

const workDir = mkdtempSync(join(tmpdir(), 'ghusers-screenshots-'))
const databasePath = join(workDir, 'sample.db')
await seedDatabase({ databasePath, batches: sampleAccounts({ since: 0, total: 1000 }) })
const app = await buildApp(createConfig({ DATABASE_PATH: databasePath }))
const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' })
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true })

try {
  for (const { name, width, height, deviceScaleFactor } of SIZES) {
    for (const colorScheme of SCHEMES) {
      const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor, colorScheme, reducedMotion: 'reduce' })
      // The same picture on any machine: GitHub's image host is never asked, so every avatar is the placeholder.
      await context.route('https://avatars.githubusercontent.com/**', (route) => route.abort())
      const page = await context.newPage()
      // Page 2 of ten rows: the whole page (form, rows with an organization, a pager with both ends) in one picture.
      await page.goto(`${baseUrl}/users/2?pagination=10`, { waitUntil: 'networkidle' })
      // Lazy images load once near the viewport: bring each in, then wait until every one has failed (or loaded).
      await page.evaluate(() => {
        for (const image of document.images) image.scrollIntoView({ block: 'center' })
        window.scrollTo(0, 0)
      })
      await page.waitForFunction(() => [...document.images].every((image) => image.complete), undefined, { timeout: 10_000 })
      await page.evaluate(() => document.fonts.ready)
      const file = join(outDir, `users-${name}-${colorScheme}.png`)
      await page.screenshot({ path: file, fullPage: true, animations: 'disabled' })
      console.log(`wrote ${relative(process.cwd(), file)} (${width} px wide, ${colorScheme})`)
      await context.close()
    }
  }
} finally {
  await browser.close()
  await app.close()
  rmSync(workDir, { recursive: true, force: true })
}
