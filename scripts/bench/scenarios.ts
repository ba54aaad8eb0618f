// The benchmark's scenarios, their URLs chosen from the data a running server holds.
import { ORDER_BY_VALUES } from '../../app/schemas/profiles.js'

export interface Scenario {
  /** What the report's target checks look a scenario up by. */
  key: string
  name: string
  /** Path and query. */
  path: string
}

interface ProfilesPage {
  total: number
  pages: number
  results: Array<{ id: number }>
}

/** Terms of 2–3 letters common in sample logins; the one matching most rows is used. */
const SEARCH_TERMS = ['an', 'ar', 'li', 'ali']
/** "Deep" is this many pages before the last. */
const PAGES_BEFORE_LAST = 10

async function profilesPage (baseUrl: string, path: string): Promise<ProfilesPage> {
  const response = await fetch(baseUrl + path)
  if (!response.ok) throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`)
  return await response.json() as ProfilesPage
}

/** Asks the server at `baseUrl` how many pages there are and picks every scenario's URL from that. */
export async function chooseScenarios (baseUrl: string): Promise<{ scenarios: Scenario[], flatPages: Scenario[], search: { term: string, total: number } }> {
  const by25 = await profilesPage(baseUrl, '/api/users/profiles?pagination=25')
  const by50 = await profilesPage(baseUrl, '/api/users/profiles?pagination=50')
  const deepPage = Math.max(1, by25.pages - PAGES_BEFORE_LAST)
  const deep = await profilesPage(baseUrl, `/api/users/profiles?page=${deepPage}`)
  const id = deep.results[0]?.id
  if (id === undefined) throw new Error('the database has no users')

  let search = { term: '', total: -1 }
  for (const term of SEARCH_TERMS) {
    const { total } = await profilesPage(baseUrl, `/api/users/profiles?username=${term}`)
    if (total > search.total) search = { term, total }
  }

  const scenarios: Scenario[] = [
    { key: 'page1', name: 'API page 1', path: '/api/users/profiles' },
    { key: 'page20', name: 'API page 20, pagination 50', path: `/api/users/profiles?page=${Math.min(20, by50.pages)}&pagination=50` },
    { key: 'type', name: 'API order_by=type, page 3', path: `/api/users/profiles?order_by=type&page=${Math.min(3, by25.pages)}` },
    { key: 'usernameDeep', name: 'API order_by=-username, deep page', path: `/api/users/profiles?order_by=-username&page=${deepPage}` },
    { key: 'deep', name: 'API deep page', path: `/api/users/profiles?page=${deepPage}` },
    { key: 'search', name: `API username search "${search.term}"`, path: `/api/users/profiles?username=${search.term}` },
    { key: 'id', name: 'API id lookup', path: `/api/users/profiles/${id}` },
    { key: 'html', name: 'HTML /users/2', path: `/users/${Math.min(2, by25.pages)}` },
    { key: 'htmlDeep', name: 'HTML deep page', path: `/users/${deepPage}` }
  ]
  // Page 1 and the deep page of every order, to show that depth costs nothing in any of them.
  const flatPages = ORDER_BY_VALUES.flatMap((orderBy) => [
    { key: `${orderBy}:1`, name: `order_by=${orderBy}, page 1`, path: `/api/users/profiles?order_by=${orderBy}` },
    { key: `${orderBy}:deep`, name: `order_by=${orderBy}, page ${deepPage}`, path: `/api/users/profiles?order_by=${orderBy}&page=${deepPage}` }
  ])
  return { scenarios, flatPages, search }
}
