// TypeBox schemas of the GitHub-compatible API (/api/v3): GitHub's user objects, its paging parameters, its error body.
import { Type, type Static } from 'typebox'
import { MAX_ACCOUNT_ID } from './profiles.js'

/** GitHub's page size of GET /users: 30 by default, at most 100. */
export const GITHUB_DEFAULT_PER_PAGE = 30
export const GITHUB_MAX_PER_PAGE = 100

/** Where GitHub documents each operation; its errors point there. */
export const GITHUB_DOCS = {
  listUsers: 'https://docs.github.com/rest/users/users#list-users',
  getUser: 'https://docs.github.com/rest/users/users#get-a-user',
  rest: 'https://docs.github.com/rest'
} as const

export const GitHubUsersQuery = Type.Object({
  since: Type.Integer({
    minimum: 0, maximum: MAX_ACCOUNT_ID, default: 0, description: 'Only accounts with an id greater than this one'
  }),
  per_page: Type.Integer({
    minimum: 1, maximum: GITHUB_MAX_PER_PAGE, default: GITHUB_DEFAULT_PER_PAGE, description: 'Accounts per page'
  })
})
export type GitHubUsersQuery = Static<typeof GitHubUsersQuery>

export const GitHubUserParams = Type.Object({
  login: Type.String({ minLength: 1, description: 'The login, matched ignoring ASCII case' })
})

/** GitHub's user object, with only the fields the directory holds (the others are left out, never invented). */
export const GitHubUser = Type.Object({
  login: Type.String({ description: 'GitHub login' }),
  id: Type.Integer({ description: "GitHub's numeric account id" }),
  avatar_url: Type.String({ description: 'Avatar image URL' }),
  url: Type.String({ description: 'This account in this API: PUBLIC_URL + /api/v3/users/{login}' }),
  html_url: Type.String({ description: 'Profile page on GitHub' }),
  type: Type.String({ description: 'User, Organization or Bot' })
})
export type GitHubUser = Static<typeof GitHubUser>

const CACHING_HEADERS = {
  ETag: { type: 'string', description: 'Names this representation at this data version; send it back in If-None-Match' },
  'Cache-Control': { type: 'string', description: 'public, max-age=N' }
}
/** GitHub's names and meanings (when the rate limit is on). */
const RATE_LIMIT_HEADERS = {
  'x-ratelimit-limit': { type: 'integer', description: 'Requests allowed per window' },
  'x-ratelimit-remaining': { type: 'integer', description: 'Requests left in this window' },
  'x-ratelimit-reset': { type: 'integer', description: 'When the window resets, in epoch seconds' },
  'x-ratelimit-used': { type: 'integer', description: 'Requests made in this window' }
}

export const GitHubUserList = Type.Array(GitHubUser, {
  description: 'Accounts in id order',
  headers: {
    ...CACHING_HEADERS,
    ...RATE_LIMIT_HEADERS,
    Link: { type: 'string', description: '<PUBLIC_URL/api/v3/users?since=LAST&per_page=N>; rel="next" while more accounts follow' }
  }
})

export const GitHubUserResponse = Type.Object(GitHubUser.properties, {
  description: 'One account',
  headers: { ...CACHING_HEADERS, ...RATE_LIMIT_HEADERS }
})

const githubError = (description: string, headers?: Record<string, unknown>) => Type.Object({
  message: Type.String({ description: '"Not Found", or what was wrong (a bad parameter is named)' }),
  documentation_url: Type.String(),
  status: Type.String({ description: 'The HTTP status, as a string' })
}, { description, ...(headers ? { headers } : {}) })

/** The error body GitHub sends. */
export type GitHubError = Static<ReturnType<typeof githubError>>

export const GITHUB_ERRORS = {
  400: githubError('Bad Request: since or per_page is not a whole number in range (named in the message)'),
  404: githubError('Not Found'),
  429: githubError('Too Many Requests: this client used up its rate limit', {
    ...RATE_LIMIT_HEADERS,
    'Retry-After': { type: 'integer', description: 'Seconds to wait before trying again' }
  }),
  500: githubError('Internal Server Error (details are logged, never sent)')
}
