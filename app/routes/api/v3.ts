// The GitHub-compatible API under /api/v3 (GitHub Enterprise Server's prefix): GET /users and GET /users/{login}.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest, onSendHookHandler } from 'fastify'
import createError from 'http-errors'
import { answer, JSON_TYPE, type Representation } from '../../http/answers.js'
import { NOT_STORED } from '../../http/edgeAnswers.js'
import { publicError } from '../../http/errors.js'
import { checking, requireDigits } from '../../query/profilesQuery.js'
import {
  GITHUB_DOCS, GITHUB_ERRORS, type GitHubError, type GitHubUser, GitHubUserList, GitHubUserParams, GitHubUserResponse, GitHubUsersQuery
} from '../../schemas/githubUsers.js'
import { NotModified, type Profile } from '../../schemas/profiles.js'
import { whenReady } from '../../store/profilesSource.js'

export interface GitHubApiOptions {
  /** PUBLIC_URL: where clients reach the service; the API's absolute URLs start with it. */
  publicUrl: string
}

const QUERY_INTEGERS = new Set(['since', 'per_page'])

const userList: Representation = {
  check: ({ query }) => requireDigits(query as Record<string, unknown>, QUERY_INTEGERS, 'Query parameter'),
  // Unknown parameters are ignored, so only these two name the answer.
  key: ({ query }) => { const { since, per_page: perPage } = query as GitHubUsersQuery; return `v3-users:${since}:${perPage}` }
}

const oneUser: Representation = {
  // Any login the schema lets through names an answer.
  check: () => {},
  key: ({ params }) => `v3-user:${(params as { login: string }).login}`
}

/** The error body GitHub sends, for a reply of `statusCode`; 404s say "Not Found", as GitHub's do. */
export function githubError (statusCode: number, message: string, documentationUrl: string): GitHubError {
  return { message: statusCode === 404 ? 'Not Found' : message, documentation_url: documentationUrl, status: String(statusCode) }
}

/** The documentation of the operation a request was for (GitHub's errors point there). */
function documentationOf (request: FastifyRequest): string {
  const route = request.routeOptions.url ?? ''
  if (route.endsWith('/users')) return GITHUB_DOCS.listUsers
  if (route.endsWith('/users/:login')) return GITHUB_DOCS.getUser
  return GITHUB_DOCS.rest
}

/**
 * @fastify/rate-limit's headers as GitHub names them: x-ratelimit-reset as an epoch second (the
 * plugin sends seconds to go, rounded up; rounding now up too, a client never retries early) and
 * x-ratelimit-used. The plugin's options choose its headers but cannot change what they hold.
 */
const githubRateLimitHeaders: onSendHookHandler = function (_request, reply: FastifyReply, payload, done) {
  const secondsToReset = reply.getHeader('x-ratelimit-reset')
  if (secondsToReset !== undefined) {
    const used = Number(reply.getHeader('x-ratelimit-limit')) - Number(reply.getHeader('x-ratelimit-remaining'))
    reply.header('x-ratelimit-reset', Math.ceil(Date.now() / 1000) + Number(secondsToReset))
    reply.header('x-ratelimit-used', used)
  }
  done(null, payload)
}

const githubApi: FastifyPluginAsyncTypebox<GitHubApiOptions> = async (app, { publicUrl }) => {
  const usersUrl = `${publicUrl}/api/v3/users`
  const githubUser = (profile: Profile): GitHubUser => ({
    login: profile.username,
    id: profile.id,
    avatar_url: profile.avatar_url,
    url: `${usersUrl}/${encodeURIComponent(profile.username)}`,
    html_url: profile.url,
    type: profile.type
  })

  app.addHook('onSend', githubRateLimitHeaders)
  app.setErrorHandler((error, request, reply) => {
    const { statusCode, message } = publicError(error)
    if (statusCode >= 500) request.log.error({ err: error }, 'request failed')
    return reply.code(statusCode).header('cache-control', NOT_STORED).send(githubError(statusCode, message, documentationOf(request)))
  })
  app.setNotFoundHandler((_request, reply) => reply.code(404).send(githubError(404, 'Not Found', GITHUB_DOCS.rest)))

  app.get('/users', {
    schema: {
      tags: ['v3'],
      operationId: 'githubListUsers',
      summary: "Accounts after an id, in GitHub's format (GitHub's GET /users)",
      description: 'Keyset paging: follow the Link header\'s rel="next", or pass the last id seen as `since`. ' +
        'Unknown parameters are ignored, as GitHub ignores them; a bad `since` or `per_page` is a 400 naming it.',
      querystring: GitHubUsersQuery,
      response: { 200: GitHubUserList, 304: NotModified, ...GITHUB_ERRORS }
    },
    config: { representation: userList },
    preValidation: checking(userList.check)
  }, async (request, reply) => {
    const { since, per_page: perPage } = request.query
    const serialize = reply.getSerializationFunction('200')
    if (!serialize) throw new Error('GET /api/v3/users needs its 200 response schema')
    return answer(request, reply, () => {
      const dataVersion = app.profiles.dataVersion()
      // One row more than the page says whether another page follows.
      return whenReady(app.profiles.listAfterId(since, perPage + 1), (profiles) => {
        const page = profiles.slice(0, perPage)
        const headers: Record<string, string> = {}
        if (profiles.length > perPage) headers.link = `<${usersUrl}?since=${page.at(-1)!.id}&per_page=${perPage}>; rel="next"`
        return { dataVersion, contentType: JSON_TYPE, headers, body: serialize(page.map(githubUser) as unknown as Record<string, unknown>) }
      })
    })
  })

  app.get('/users/:login', {
    schema: {
      tags: ['v3'],
      operationId: 'githubGetUser',
      summary: "One account by login, ignoring case, in GitHub's format (GitHub's GET /users/{username})",
      params: GitHubUserParams,
      response: { 200: GitHubUserResponse, 304: NotModified, ...GITHUB_ERRORS }
    },
    config: { representation: oneUser }
  }, async (request, reply) => {
    const { login } = request.params
    const serialize = reply.getSerializationFunction('200')
    if (!serialize) throw new Error('GET /api/v3/users/:login needs its 200 response schema')
    return answer(request, reply, () => {
      const dataVersion = app.profiles.dataVersion()
      return whenReady(app.profiles.findByLogin(login), (profile) => {
        if (!profile) throw createError(404, 'Not Found')
        return { dataVersion, contentType: JSON_TYPE, headers: {}, body: serialize(githubUser(profile)) }
      })
    })
  })
}

export default githubApi
