// The profiles query as the API and the pages share it: input rules, canonical form, page links.
import type { preValidationHookHandler } from 'fastify'
import createError from 'http-errors'
import type { TObject } from 'typebox'
import type { RequestParts } from '../http/answers.js'
import { DEFAULT_PAGINATION, PROFILE_TYPES, ProfilesQuery, type PageLinks, type ProfilesListQuery } from '../schemas/profiles.js'

const KNOWN_PARAMETERS = Object.keys(ProfilesQuery.properties)
const CANONICAL_TYPE = new Map(PROFILE_TYPES.map((type) => [type.toLowerCase(), type]))

function integerNames (schema: TObject): Set<string> {
  return new Set(Object.entries(schema.properties)
    .filter(([, property]) => (property as { type?: string }).type === 'integer')
    .map(([name]) => name))
}
const QUERY_INTEGERS = integerNames(ProfilesQuery)

/** Throws a 400 unless every integer-typed value is plain decimal digits (no 1e3, 0x10, " 7"). */
export function requireDigits (values: Record<string, unknown>, integers: Set<string>, label: string): void {
  for (const name of integers) {
    const value = values[name]
    if (typeof value === 'string' && !/^\d+$/.test(value)) {
      throw createError(400, `${label} '${name}' must be a whole number`)
    }
  }
}

/** Throws a 400 for a route that takes no query parameters (one profile by id) when it was given one. */
export function rejectQueryParameters (parts: RequestParts): void {
  const [name] = Object.keys(parts.query as Record<string, unknown>)
  if (name !== undefined) throw createError(400, `Unknown query parameter '${name}'; this route takes none`)
}

export interface QueryRules {
  /** The API rejects parameters it does not know; pages drop them (a shared link with utm_source still works). */
  unknown: 'reject' | 'ignore'
  /** Pages' forms send empty fields; they mean "not set" there. */
  emptyMeansAbsent: boolean
  /** The parameters the route takes (the facets and exports take fewer than the list): all of the list's by default. */
  known?: readonly string[]
  /** The API list also takes `after` (never with `page`). */
  cursor?: boolean
}

/**
 * The profiles query's rules, for a preValidation hook: rejects repeated (and, for the API,
 * unknown) parameters by name, insists on plain digits for integers, and brings `type`
 * and `order_by` to their canonical case before the schema validates ranges. Throws a 400.
 */
export function profilesQueryRules (rules: QueryRules): (parts: RequestParts) => void {
  const taken = rules.known ?? KNOWN_PARAMETERS
  const known = rules.cursor ? [...taken, 'after'] : taken
  return function checkProfilesQuery (parts) {
    const raw = parts.query as Record<string, unknown>
    const query: Record<string, unknown> = {}
    if (rules.cursor && 'after' in raw && 'page' in raw) {
      throw createError(400, "Query parameter 'after' replaces 'page'; give one of them")
    }
    for (const [name, value] of Object.entries(raw)) {
      if (!known.includes(name)) {
        if (rules.unknown === 'ignore') continue
        throw createError(400, `Unknown query parameter '${name}'; known parameters: ${known.join(', ')}`)
      }
      if (Array.isArray(value)) throw createError(400, `Query parameter '${name}' is repeated; give it once`)
      if (value === '' && rules.emptyMeansAbsent) continue
      query[name] = canonicalCase(name, value as string)
    }
    requireDigits(query, QUERY_INTEGERS, 'Query parameter')
    parts.query = query
  }
}

function canonicalCase (name: string, value: string): string {
  if (name === 'type') return CANONICAL_TYPE.get(value.toLowerCase()) ?? value
  if (name === 'order_by') return value.toLowerCase()
  return value
}

/** The checks of a route's input, in order, as one; each throws a 400. */
export function allOf (...checks: Array<(parts: RequestParts) => void>): (parts: RequestParts) => void {
  return (parts) => { for (const check of checks) check(parts) }
}

/** A preValidation hook running `check` on the request; its throw is the 400 it carries. */
export function checking (check: (parts: RequestParts) => void): preValidationHookHandler {
  return function checkRequest (request, _reply, done) {
    check(request)
    done()
  }
}

/** The query's parameters in a fixed order, defaults left out except page and pagination. */
export function profilesSearchParams (query: ProfilesQuery, page?: number): URLSearchParams {
  const params = new URLSearchParams()
  if (page !== undefined) params.set('page', String(page))
  params.set('pagination', String(query.pagination))
  if (query.order_by !== 'id') params.set('order_by', query.order_by)
  if (query.username !== undefined) params.set('username', query.username)
  if (query.id !== undefined) params.set('id', String(query.id))
  if (query.type !== undefined) params.set('type', query.type)
  return params
}

/** One string per distinct query: the key of cached results and part of each ETag. */
export function canonicalQueryKey (query: ProfilesQuery & Pick<ProfilesListQuery, 'after'>): string {
  const params = profilesSearchParams(query, query.page)
  params.set('order_by', query.order_by)
  if (query.after !== undefined) params.set('after', query.after)
  return params.toString()
}

/** One string per distinct set of filters (page, size and order left out). */
export function canonicalFiltersKey (query: Pick<ProfilesQuery, 'username' | 'id' | 'type'>): string {
  return JSON.stringify([query.username ?? null, query.id ?? null, query.type ?? null])
}

/** The API list's URL of any page of `query`: its other parameters are encoded once for all pages. */
export function apiListHrefs (query: ProfilesQuery): (page: number) => string {
  const others = profilesSearchParams(query).toString()
  return (page) => `/api/users/profiles?page=${page}&${others}`
}

/** A page of the HTML list: the page in the path, the default page size left out. */
export function usersPageHref (query: ProfilesQuery, page: number): string {
  const params = profilesSearchParams(query)
  if (query.pagination === DEFAULT_PAGINATION) params.delete('pagination')
  const search = params.toString()
  return search ? `/users/${page}?${search}` : `/users/${page}`
}

/** first/prev/next/last for `page` of `pages`, null where there is no such page. */
export function pageLinks (page: number, pages: number, href: (page: number) => string): PageLinks {
  if (pages < 1) return { first: null, prev: null, next: null, last: null }
  return {
    first: href(1),
    prev: page > 1 ? href(Math.min(page - 1, pages)) : null,
    next: page < pages ? href(page + 1) : null,
    last: href(pages)
  }
}

/** The RFC 8288 Link header of those links. */
export function linkHeader (links: PageLinks): string {
  return Object.entries(links)
    .filter((entry): entry is [string, string] => entry[1] !== null)
    .map(([rel, href]) => `<${href}>; rel="${rel}"`)
    .join(', ')
}

export function pageCount (total: number, pagination: number): number {
  return Math.ceil(total / pagination)
}
