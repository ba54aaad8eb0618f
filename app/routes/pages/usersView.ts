// What the users page template shows: rows with safe links, the pager, the form, the row range.
import { apiListHrefs, usersPageHref } from '../../query/profilesQuery.js'
import { PROFILE_TYPES, type Profile, type ProfilesQuery } from '../../schemas/profiles.js'

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

export function usersView (query: ProfilesQuery, total: number, pages: number, results: Profile[]): UsersView {
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
    filtered
  }
}
