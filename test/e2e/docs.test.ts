// /docs in chromium: Swagger UI renders the API's operations under its own CSP, with no violation,
// console error or failed request, and its "Execute" reaches the API.
import { expect, it } from 'vitest'
import { DESKTOP, useBrowserAndServer } from './browserHarness.js'

const e2e = useBrowserAndServer(40)

it('renders both operations of the API, and runs one, with no CSP violation', () =>
  e2e.withPage({ viewport: DESKTOP }, async ({ page, open }) => {
    await open('/docs')
    const list = page.locator('#operations-profiles-listProfiles')
    const one = page.locator('#operations-profiles-getProfile')
    await list.waitFor()
    expect(await list.locator('.opblock-summary-path').getAttribute('data-path')).toBe('/api/users/profiles')
    expect(await one.locator('.opblock-summary-path').getAttribute('data-path')).toBe('/api/users/profiles/{id}')
    expect(await page.locator('#operations-operations-get_health').count()).toBe(1)

    await list.locator('.opblock-summary').click()
    const parameters = list.locator('.parameters tbody tr[data-param-name]')
    await parameters.first().waitFor()
    expect(await parameters.evaluateAll((rows) => rows.map((row) => row.getAttribute('data-param-name')))).toEqual(
      ['page', 'pagination', 'order_by', 'username', 'id', 'type', 'after'])

    // The UI opens in "try it out" mode (tryItOutEnabled): the form is ready to send.
    await list.getByRole('button', { name: 'Execute' }).click()
    const status = list.locator('.live-responses-table .response .response-col_status')
    await status.first().waitFor()
    expect((await status.first().textContent())?.trim()).toBe('200')
    expect(await list.locator('.live-responses-table .microlight').first().textContent()).toContain('"total": 40')
  }))
