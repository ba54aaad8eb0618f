// The HTML pages: /, /users and /users/:page, with HTML error and not-found pages.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import createError from 'http-errors'
import { Type } from 'typebox'
import { answer, type Representation, type RequestParts } from '../../http/answers.js'
import { publicError } from '../../http/errors.js'
import { VIEWS_DIR } from '../../paths.js'
import {
  allOf, canonicalQueryKey, checking, pageCount, profilesQueryRules, requireDigits, usersPageHref
} from '../../query/profilesQuery.js'
import caching from '../../plugins/external/caching.js'
import { MAX_ACCOUNT_ID, type Profile, ProfilesQuery } from '../../schemas/profiles.js'
import { type ErrorPage, HOME_LINK, sendErrorPage } from './errorPage.js'
import { usersView } from './usersView.js'

export interface PagesOptions {
  httpCacheMaxAge: number
}

const PageParams = Type.Object({
  page: Type.Integer({ minimum: 1, maximum: MAX_ACCOUNT_ID, description: 'Page number, from 1' })
})
const PAGE_PARAM = new Set(['page'])

/** Changes when any template changes, so a deploy never revalidates old HTML as current. */
function templatesVersion (): string {
  const hash = createHash('sha256')
  for (const entry of readdirSync(VIEWS_DIR, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) hash.update(entry.name).update(readFileSync(join(entry.parentPath, entry.name)))
  }
  return hash.digest('base64url')
}

const pages: FastifyPluginAsyncTypebox<PagesOptions> = async (app, { httpCacheMaxAge }) => {
  await app.register(caching, { maxAge: httpCacheMaxAge, store: app.answerStore })
  // The templates' version is part of every key, so a deploy never revalidates old HTML as current.
  const viewsVersion = templatesVersion()

  app.setErrorHandler((error, request, reply) => {
    const { statusCode, error: title, message } = publicError(error)
    if (statusCode >= 500) request.log.error({ err: error }, 'request failed')
    const links = (error as { links?: ErrorPage['links'] }).links ?? [HOME_LINK]
    return sendErrorPage(reply, { statusCode, title, message, links })
  })
  app.setNotFoundHandler((request, reply) => sendErrorPage(reply, {
    statusCode: 404,
    title: 'Page not found',
    message: `There is no page at ${request.url.split('?')[0]}.`,
    links: [HOME_LINK]
  }))

  const queryRules = profilesQueryRules({ unknown: 'ignore', emptyMeansAbsent: true })
  /** The page asked for: the path's page, else the query's. */
  const pageQuery = ({ query, params }: RequestParts): ProfilesQuery => {
    const page = (params as { page?: number }).page
    return page === undefined ? query as ProfilesQuery : { ...query as ProfilesQuery, page }
  }
  const firstPage: Representation = {
    check: queryRules,
    key: (parts) => `users-page:${viewsVersion}:${canonicalQueryKey(pageQuery(parts))}`
  }
  const numberedPage: Representation = {
    check: allOf(({ params }) => requireDigits(params as Record<string, unknown>, PAGE_PARAM, 'Path parameter'), queryRules),
    key: firstPage.key
  }
  const schema = { querystring: ProfilesQuery, hide: true }
  const route = (representation: Representation) => ({ config: { representation }, preValidation: checking(representation.check) })

  app.get('/', { schema, ...route(firstPage) }, async (request, reply) => renderUsers(request.query, reply))
  app.get('/users', { schema, ...route(firstPage) }, async (request, reply) => renderUsers(request.query, reply))
  app.get('/users/:page', { schema: { ...schema, params: PageParams }, ...route(numberedPage) },
    async (request, reply) => renderUsers(pageQuery(request), reply))

  async function renderUsers (query: ProfilesQuery, reply: FastifyReply) {
    return answer(reply.request, reply, async () => {
      const [{ dataVersion, total, resultsJson }, facets] = await Promise.all([app.profiles.readPage(query), app.profileFacets.read(query)])
      const pages = pageCount(total, query.pagination)
      if (pages >= 1 && query.page > pages) {
        throw createError(404, `Page ${query.page} does not exist: there ${pages === 1 ? 'is 1 page' : `are ${pages.toLocaleString('en-US')} pages`}.`, {
          links: [{ href: usersPageHref(query, pages), label: 'Go to the last page' }, HOME_LINK]
        })
      }
      const html = await app.view('users.eta', usersView(query, total, pages, JSON.parse(resultsJson) as Profile[], facets))
      return { dataVersion, contentType: 'text/html; charset=utf-8', headers: {}, body: html }
    })
  }
}

export default pages
