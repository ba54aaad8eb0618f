// What the users page template shows: rows with safe links, the pager, the form, the row range,
// the type chips, the sorting headings, the go-to-page form and the download links.
import { apiListHrefs, profilesSearchParams, usersPageHref } from '../../query/profilesQuery.js'
import { DEFAULT_PAGINATION, PROFILE_TYPES, type Profile, type ProfilesQuery } from '../../schemas/profiles.js'
import type { FacetsRead } from '../../store/profilesFacetsSource.js'

export const AVATAR_PLACEHOLDER = '/static/img/avatar-placeholder.svg'
const PAGE_SIZES = [10, 25, 50, 100]
const ORDER_LABELS: Record<ProfilesQuery['order_by'], string> = {
  id: 'Id, lowest first',
  '-id': 'Id, highest first',
  username: 'Username, A–Z',
  '-username': 'Username, Z–A',
  type: 'Type, A–Z',
  '-type': 'Type, Z–A'
}
/** Page numbers shown on each side of the current one. */
const PAGER_RADIUS = 2

export interface UserRow {
  id: number
  username: string
  type: string
  profileHref: string
  avatarSrc: string
}

export type PagerItem =
  | { kind: 'page', page: number, href: string, current: boolean }
  | { kind: 'gap' }

export interface PagerLink { label: string, href: string | null, rel?: string }

/** A type chip: the search filtered by that type (or by none), with its count. */
export interface TypeChip { label: string, count: string, href: string, current: boolean }

type SortColumn = 'username' | 'type' | 'id'
/** A column heading that sorts: `sort` is the column's current direction (aria-sort), `href` its next one. */
export interface SortHeading { label: string, href: string, sort: 'ascending' | 'descending' | 'none', next: 'ascending' | 'descending' }

/** The go-to-page form: a GET to /users with the list's parameters as hidden fields. */
export interface PageJump { hidden: Array<{ name: string, value: string }>, page: number, pages: number }

export interface UsersView {
  title: string
  rows: UserRow[]
  rangeText: string
  pager: { edges: { first: PagerLink, prev: PagerLink, next: PagerLink, last: PagerLink }, numbers: PagerItem[] } | null
  form: {
    username: string
    type: string
    orderBy: string
    pagination: number
    types: readonly string[]
    orders: Array<{ value: string, label: string }>
    sizes: number[]
  }
  apiHref: string
  filtered: boolean
  chips: TypeChip[]
  headings: Record<SortColumn, SortHeading>
  jump: PageJump | null
  downloads: { csv: string, ndjson: string }
}

const formatCount = (value: number): string => value.toLocaleString('en-US')

// Values from the file are escaped by the template; links must also be of a safe scheme,
// since a file written by another tool could hold javascript: URLs.
function httpUrlOr (value: string, fallback: string): string {
  return /^https?:\/\//i.test(value) ? value : fallback
}

export function userRow (profile: Profile): UserRow {
  return {
    id: profile.id,
    username: profile.username,
    type: profile.type,
    profileHref: httpUrlOr(profile.url, `https://github.com/${encodeURIComponent(profile.username)}`),
    avatarSrc: httpUrlOr(profile.avatar_url, AVATAR_PLACEHOLDER)
  }
}

function pagerNumbers (query: ProfilesQuery, page: number, pages: number): PagerItem[] {
  const start = Math.max(1, page - PAGER_RADIUS)
  const end = Math.min(pages, page + PAGER_RADIUS)
  const items: PagerItem[] = []
  if (start > 1) items.push({ kind: 'gap' })
  for (let number = start; number <= end; number++) {
    items.push({ kind: 'page', page: number, href: usersPageHref(query, number), current: number === page })
  }
  if (end < pages) items.push({ kind: 'gap' })
  return items
}

/** "All types" and one chip per type, each for page 1 of the same search; the current one marked. */
function typeChips (query: ProfilesQuery, facets: FacetsRead): TypeChip[] {
  const all = PROFILE_TYPES.reduce((sum, type) => sum + facets.type[type], 0)
  return [
    { label: 'All types', count: formatCount(all), href: usersPageHref({ ...query, type: undefined }, 1), current: query.type === undefined },
    ...PROFILE_TYPES.map((type) => ({
      label: type, count: formatCount(facets.type[type]), href: usersPageHref({ ...query, type }, 1), current: query.type === type
    }))
  ]
}

/** A heading per sortable column: the first click sorts ascending, a click on the current column reverses it. */
function sortHeadings (query: ProfilesQuery): Record<SortColumn, SortHeading> {
  const heading = (column: SortColumn, label: string): SortHeading => {
    const sort = query.order_by === column ? 'ascending' : query.order_by === `-${column}` ? 'descending' : 'none'
    const next = sort === 'ascending' ? 'descending' : 'ascending'
    const orderBy = (next === 'ascending' ? column : `-${column}`) as ProfilesQuery['order_by']
    return { label, href: usersPageHref({ ...query, order_by: orderBy }, 1), sort, next }
  }
  return { username: heading('username', 'Username'), type: heading('type', 'Type'), id: heading('id', 'Id') }
}

/** The list's parameters but the page, as the go-to-page form sends them again (default page size left out). */
function jumpFields (query: ProfilesQuery): Array<{ name: string, value: string }> {
  const params = profilesSearchParams(query)
  if (query.pagination === DEFAULT_PAGINATION) params.delete('pagination')
  return [...params].map(([name, value]) => ({ name, value }))
}

/** The exports of the whole list as the page shows it: its filters and order. */
function downloadHrefs (query: ProfilesQuery): { csv: string, ndjson: string } {
  const params = new URLSearchParams()
  if (query.order_by !== 'id') params.set('order_by', query.order_by)
  if (query.username !== undefined) params.set('username', query.username)
  if (query.id !== undefined) params.set('id', String(query.id))
  if (query.type !== undefined) params.set('type', query.type)
  const search = params.size ? `?${params}` : ''
  return { csv: `/api/users/profiles.csv${search}`, ndjson: `/api/users/profiles.ndjson${search}` }
}

export function usersView (query: ProfilesQuery, total: number, pages: number, results: Profile[], facets: FacetsRead): UsersView {
  const { page } = query
  const from = (page - 1) * query.pagination + 1
  const to = from + results.length - 1
  const filtered = query.username !== undefined || query.id !== undefined || query.type !== undefined
  const href = (number: number): string => usersPageHref(query, number)
  return {
    title: page > 1 ? `GitHub users, page ${page}` : 'GitHub users',
    rows: results.map(userRow),
    rangeText: total === 0 ? 'No users match' : `${formatCount(from)}–${formatCount(to)} of ${formatCount(total)}`,
    pager: pages <= 1
      ? null
      : {
          edges: {
            first: { label: 'First', href: page > 1 ? href(1) : null },
            prev: { label: 'Previous', href: page > 1 ? href(page - 1) : null, rel: 'prev' },
            next: { label: 'Next', href: page < pages ? href(page + 1) : null, rel: 'next' },
            last: { label: 'Last', href: page < pages ? href(pages) : null }
          },
          numbers: pagerNumbers(query, page, pages)
        },
    form: {
      username: query.username ?? '',
      type: query.type ?? '',
      orderBy: query.order_by,
      pagination: query.pagination,
      types: PROFILE_TYPES,
      orders: Object.entries(ORDER_LABELS).map(([value, label]) => ({ value, label })),
      sizes: PAGE_SIZES.includes(query.pagination) ? PAGE_SIZES : [...PAGE_SIZES, query.pagination].sort((a, b) => a - b)
    },
    apiHref: apiListHrefs(query)(page),
    filtered,
    chips: typeChips(query, facets),
    headings: sortHeadings(query),
    jump: pages > 1 ? { hidden: jumpFields(query), page, pages } : null,
    downloads: downloadHrefs(query)
  }
}
