// TypeBox schemas of the profiles API: they validate requests, shape responses and type the code.
import { Type, type Static } from 'typebox'

export const MAX_ACCOUNT_ID = Number.MAX_SAFE_INTEGER
export const MAX_PAGINATION = 100
export const DEFAULT_PAGINATION = 25
export const PROFILE_TYPES = ['User', 'Organization', 'Bot'] as const
export const ORDER_BY_VALUES = ['id', '-id', 'username', '-username', 'type', '-type'] as const

export const ProfileType = Type.Enum(PROFILE_TYPES, {
  description: 'Account type: User, Organization or Bot (case-insensitive)'
})
export const OrderBy = Type.Enum(ORDER_BY_VALUES, {
  default: 'id',
  description: 'Sort column; a leading "-" sorts descending. Ties break by id ascending.'
})
export const AccountId = Type.Integer({
  minimum: 1,
  maximum: MAX_ACCOUNT_ID,
  description: "GitHub's numeric account id"
})

/** PostgreSQL's text cannot hold a NUL, and no login has one. */
export const USERNAME_PATTERN = '^[^\\x00]+$'
/** The schemas' patterns in words, for their 400s. */
export const PATTERN_WORDS: Record<string, string> = { [USERNAME_PATTERN]: 'must not hold a NUL character' }

/** The query of a list of profiles, shared by the API and the pages. */
export const ProfilesQuery = Type.Object({
  page: Type.Integer({ minimum: 1, maximum: MAX_ACCOUNT_ID, default: 1, description: 'Page number, from 1' }),
  pagination: Type.Integer({
    minimum: 1,
    maximum: MAX_PAGINATION,
    default: DEFAULT_PAGINATION,
    description: 'Page size'
  }),
  order_by: OrderBy,
  username: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 39,
    pattern: USERNAME_PATTERN,
    description: 'Case-insensitive substring of the login (no NUL); % _ and \\ match themselves'
  })),
  id: Type.Optional(AccountId),
  type: Type.Optional(ProfileType)
}, { additionalProperties: false })
export type ProfilesQuery = Static<typeof ProfilesQuery>

/** The API list's query: the pages' query and a cursor to walk by. */
export const ProfilesListQuery = Type.Object({
  ...ProfilesQuery.properties,
  after: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 200,
    pattern: '^[A-Za-z0-9_-]+$',
    description: 'A next_cursor of an earlier answer to the same query: the page starts after the row it names. Replaces page.'
  }))
}, { additionalProperties: false })
export type ProfilesListQuery = Static<typeof ProfilesListQuery>
export type OrderBy = Static<typeof OrderBy>
export type ProfileType = Static<typeof ProfileType>

export const Profile = Type.Object({
  id: Type.Integer({ description: "GitHub's numeric account id" }),
  username: Type.String({ description: 'GitHub login' }),
  avatar_url: Type.String({ description: 'Avatar image URL' }),
  type: Type.String({ description: 'User, Organization or Bot' }),
  url: Type.String({ description: 'Profile page on GitHub' })
})
export type Profile = Static<typeof Profile>

const PageLink = Type.Union([Type.String(), Type.Null()], {
  description: 'Path and query of that page, or null when there is none'
})
export const PageLinks = Type.Object({
  first: PageLink,
  prev: PageLink,
  next: PageLink,
  last: PageLink
})
export type PageLinks = Static<typeof PageLinks>

const CACHING_HEADERS = {
  ETag: { type: 'string', description: 'Names this representation at this data version; send it back in If-None-Match' },
  'Cache-Control': { type: 'string', description: 'public, max-age=N' }
}
const RATE_LIMIT_HEADERS = {
  'X-RateLimit-Limit': { type: 'integer', description: 'Requests allowed per window' },
  'X-RateLimit-Remaining': { type: 'integer', description: 'Requests left in this window' },
  'X-RateLimit-Reset': { type: 'integer', description: 'Seconds until the window resets' }
}

export const ProfilesPage = Type.Object({
  page: Type.Union([Type.Integer(), Type.Null()], { description: 'The page number; null in an answer to after' }),
  pagination: Type.Integer(),
  total: Type.Integer({ description: 'Rows matching the filters' }),
  pages: Type.Integer({ description: 'Pages of that size; 0 when nothing matches' }),
  order_by: Type.String(),
  results: Type.Array(Profile),
  links: PageLinks,
  next_cursor: Type.Union([Type.String(), Type.Null()], {
    description: 'Opaque: send it as after for the rows after this page; null on the last page'
  })
}, {
  description: 'A page of profiles',
  headers: {
    ...CACHING_HEADERS,
    ...RATE_LIMIT_HEADERS,
    Link: { type: 'string', description: 'RFC 8288 links: first, prev, next, last (absent when nothing matches)' },
    'X-Total-Count': { type: 'integer', description: 'The total, as in the body' }
  }
})
export type ProfilesPage = Static<typeof ProfilesPage>

export const ProfileResponse = Type.Object(Profile.properties, {
  description: 'One profile',
  headers: { ...CACHING_HEADERS, ...RATE_LIMIT_HEADERS }
})

export const ProfileParams = Type.Object({ id: AccountId })

export const NotModified = Type.Null({
  description: "Not Modified: If-None-Match holds this URL's current tag; no body"
})

const errorBody = (description: string, headers?: Record<string, unknown>) => Type.Object({
  statusCode: Type.Integer(),
  error: Type.String(),
  message: Type.String({ description: 'What was wrong; for a bad parameter, it names the parameter' })
}, { description, ...(headers ? { headers } : {}) })

export const ErrorBody = errorBody('An error')
/** The API's error statuses, each with its body. */
export const API_ERRORS = {
  400: errorBody('Bad Request: an unknown, repeated or out-of-range parameter (named in the message)'),
  404: errorBody('Not Found'),
  429: errorBody('Too Many Requests: this client used up its rate limit', {
    ...RATE_LIMIT_HEADERS,
    'Retry-After': { type: 'integer', description: 'Seconds to wait before trying again' }
  }),
  500: errorBody('Internal Server Error (details are logged, never sent)')
}
