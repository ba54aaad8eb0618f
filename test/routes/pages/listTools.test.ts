// The list's tools on the users page: type chips with counts, sorting headings, go to page N, downloads.
import { parse, type HTMLElement } from 'node-html-parser'
import { describe, expect, it } from 'vitest'
import { PROFILE_TYPES, type Profile } from '../../../app/schemas/profiles.js'
import { sampleAccountAt } from '../../../app/seed/sampleAccounts.js'
import { matching, ordered } from '../../helpers/contractModel.js'
import { build, contractOnlyDatabase, sampleDatabase } from '../../helpers/fixtures.js'

const TOTAL = 600
const SAMPLE: Profile[] = Array.from({ length: TOTAL }, (_, i) => sampleAccountAt(i))
const app = await build(await sampleDatabase(TOTAL))

async function page (url: string, status = 200): Promise<HTMLElement> {
  const response = await app.inject(url)
  expect(response.statusCode, url).toBe(status)
  return parse(response.body)
}

const count = (value: number) => value.toLocaleString('en-US')
const decode = (href: string | undefined) => href?.replaceAll('&amp;', '&')

describe('type chips', () => {
  it('show each type\'s count for the current search, link to it and mark the current one', async () => {
    const root = await page('/users/1?username=an&type=organization&order_by=-username&pagination=10')
    const chips = root.querySelectorAll('nav[aria-label="Filter by type"] a')
    const others = matching(SAMPLE, { username: 'an' })
    expect(chips.map((chip) => chip.text.replace(/\s+/g, ' ').trim())).toEqual([
      `All types ${count(others.length)}`,
      ...PROFILE_TYPES.map((type) => `${type} ${count(others.filter((profile) => profile.type === type).length)}`)
    ])
    expect(chips.map((chip) => decode(chip.getAttribute('href')))).toEqual([
      '/users/1?pagination=10&order_by=-username&username=an',
      ...PROFILE_TYPES.map((type) => `/users/1?pagination=10&order_by=-username&username=an&type=${type}`)
    ])
    expect(chips.map((chip) => chip.getAttribute('aria-current') ?? null)).toEqual([null, null, 'true', null])
  })

  it('mark "All types" when no type is chosen', async () => {
    const chips = (await page('/users')).querySelectorAll('nav[aria-label="Filter by type"] a')
    expect(chips[0]!.getAttribute('aria-current')).toBe('true')
    expect(chips[0]!.text).toContain(count(TOTAL))
  })
})

describe('sorting headings', () => {
  const headings = async (url: string) => Object.fromEntries((await page(url)).querySelectorAll('thead th.users-sort').map((th) => [
    th.querySelector('a')!.childNodes[0]!.text.trim(),
    { sort: th.getAttribute('aria-sort') ?? 'none', href: decode(th.querySelector('a')!.getAttribute('href')) }
  ]))

  it('say which column sorts the list, and link to page 1 sorted by each', async () => {
    expect(await headings('/users/3?type=User')).toEqual({
      Username: { sort: 'none', href: '/users/1?order_by=username&type=User' },
      Type: { sort: 'none', href: '/users/1?order_by=type&type=User' },
      Id: { sort: 'ascending', href: '/users/1?order_by=-id&type=User' }
    })
  })

  it('reverse the current column on a second click, and go back the other way on a third', async () => {
    const ascending = await headings('/users?order_by=username')
    expect(ascending.Username).toEqual({ sort: 'ascending', href: '/users/1?order_by=-username' })
    const descending = await headings(ascending.Username!.href!)
    expect(descending.Username).toEqual({ sort: 'descending', href: '/users/1?order_by=username' })
    expect(descending.Id).toEqual({ sort: 'none', href: '/users/1' })
  })
})

describe('go to page N', () => {
  it('is a GET form to /users carrying the list\'s parameters, which /users takes with a page', async () => {
    const root = await page('/users/4?username=a&order_by=type&pagination=10')
    const form = root.querySelector('form[aria-label="Go to a page"]')!
    expect(form.getAttribute('method')).toBe('get')
    expect(form.getAttribute('action')).toBe('/users')
    const fields = form.querySelectorAll('input').map((input) => [input.getAttribute('name'), input.getAttribute('value')])
    expect(fields).toEqual([['pagination', '10'], ['order_by', 'type'], ['username', 'a'], ['page', '4']])
    expect(root.querySelector('label[for="jump-page"]')?.text).toBe('Go to page')

    const target = await page('/users?pagination=10&order_by=type&username=a&page=7')
    const expected = ordered(matching(SAMPLE, { username: 'a' }), 'type').slice(60, 70)
    expect(target.querySelectorAll('tbody .users-id').map((cell) => Number(cell.text))).toEqual(expected.map((profile) => profile.id))
    expect(target.querySelector('[aria-current="page"]')?.text.trim()).toBe('7')
  })

  it('answers a page past the end with the 404 page and its way to the last page, and a bad one with a 400 page', async () => {
    const missing = await page('/users?page=123456789&pagination=10', 404)
    expect(missing.querySelectorAll('main a').map((link) => decode(link.getAttribute('href')))).toContain(`/users/${TOTAL / 10}?pagination=10`)
    await page('/users?page=0', 400)
    await page('/users?page=two', 400)
  })
})

describe('downloads', () => {
  it('link to the CSV and NDJSON of the whole list, in its order, which answer with its rows', async () => {
    const root = await page('/users/2?type=Organization&order_by=-username&pagination=10')
    const links = root.querySelectorAll('.downloads a').map((link) => decode(link.getAttribute('href'))!)
    expect(links).toEqual([
      '/api/users/profiles.csv?order_by=-username&type=Organization',
      '/api/users/profiles.ndjson?order_by=-username&type=Organization'
    ])
    const ndjson = await app.inject(links[1]!)
    const rows = ndjson.body.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Profile)
    expect(rows).toEqual(ordered(matching(SAMPLE, { type: 'Organization' }), '-username'))
  })

  it('keep a hostile search escaped in every link and field', async () => {
    const hostile = await build(contractOnlyDatabase())
    const response = await hostile.inject('/users?username=%22%3E%3Cscript%3E&pagination=1')
    expect(response.statusCode).toBe(200)
    expect(response.body).not.toContain('"><script>')
    const root = parse(response.body)
    expect(root.querySelector('form[aria-label="Go to a page"]')).toBeNull()
    expect(decode(root.querySelectorAll('nav[aria-label="Filter by type"] a')[1]!.getAttribute('href')))
      .toBe('/users/1?pagination=1&username=%22%3E%3Cscript%3E&type=User')
  })
})
