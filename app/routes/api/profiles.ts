// GET /api/users/profiles and /api/users/profiles/:id.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import createError from 'http-errors'
import { answer, type BuiltAnswer, JSON_TYPE, type Representation } from '../../http/answers.js'
import {
  allOf, apiListHrefs, canonicalQueryKey, checking, linkHeader, pageCount, pageLinks, profilesQueryRules, profilesSearchParams,
  rejectQueryParameters, requireDigits
} from '../../query/profilesQuery.js'
import { decodeCursor, encodeCursor } from '../../query/profilesCursor.js'
import { API_ERRORS, NotModified, ProfileParams, ProfileResponse, ProfilesListQuery, ProfilesPage } from '../../schemas/profiles.js'
import type { PageRead } from '../../store/profilesSource.js'

const ID_PARAM = new Set(['id'])

/**
 * The list's JSON, in ProfilesPage's shape. The results array comes from the database already as
 * JSON, and the envelope holds only numbers, an order_by from a fixed set and links we build: so
 * it is assembled as text rather than parsed and serialised again.
 */
function listAnswer (query: ProfilesListQuery, { dataVersion, total, resultsJson, nextAfter }: PageRead): BuiltAnswer {
  const pages = pageCount(total, query.pagination)
  const cursor = query.after !== undefined
  if (!cursor && pages >= 1 && query.page > pages) throw createError(404, `Page ${query.page} is past the last page, ${pages}`)
  const nextCursor = nextAfter ? encodeCursor(query, nextAfter) : null
  let links = pageLinks(query.page, pages, apiListHrefs(query))
  if (cursor) {
    // A cursor's page has no number: no prev; next is the cursor link for the rows after it.
    const next = nextCursor === null ? null : `/api/users/profiles?after=${nextCursor}&${profilesSearchParams(query).toString()}`
    links = { ...links, prev: null, next }
  }
  const body = `{"page":${cursor ? 'null' : query.page},"pagination":${query.pagination},"total":${total},"pages":${pages},` +
    `"order_by":${JSON.stringify(query.order_by)},"results":${resultsJson},"links":${JSON.stringify(links)},` +
    `"next_cursor":${JSON.stringify(nextCursor)}}`
  const headers: Record<string, string> = { 'x-total-count': String(total) }
  if (pages >= 1) headers.link = linkHeader(links)
  return { dataVersion, contentType: JSON_TYPE, headers, body }
}

const list: Representation = {
  check: profilesQueryRules({ unknown: 'reject', emptyMeansAbsent: false, cursor: true }),
  key: ({ query }) => `api-list:${canonicalQueryKey(query as ProfilesListQuery)}`
}

const one: Representation = {
  check: allOf(rejectQueryParameters, ({ params }) => requireDigits(params as Record<string, unknown>, ID_PARAM, 'Path parameter')),
  key: ({ params }) => `api-profile:${(params as { id: number }).id}`
}

const profilesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/users/profiles', {
    schema: {
      tags: ['profiles'],
      operationId: 'listProfiles',
      summary: 'A page of profiles, filtered and ordered',
      description: 'Filters combine with AND. An unknown or repeated parameter, or a value out of range, is a 400 ' +
        'naming the parameter; a page past the last is a 404. No match is a 200 with total 0.',
      querystring: ProfilesListQuery,
      response: { 200: ProfilesPage, 304: NotModified, ...API_ERRORS }
    },
    config: { representation: list },
    preValidation: checking(list.check)
  }, async (request, reply) => {
    const listQuery = request.query
    const { after, ...query } = listQuery
    const page = after === undefined ? query : { ...query, after: decodeCursor(query, after) }
    return answer(request, reply, async () => listAnswer(listQuery, await app.profiles.readPage(page)))
  })

  app.get('/users/profiles/:id', {
    schema: {
      tags: ['profiles'],
      operationId: 'getProfile',
      summary: 'One profile by account id',
      params: ProfileParams,
      response: { 200: ProfileResponse, 304: NotModified, ...API_ERRORS }
    },
    config: { representation: one },
    preValidation: checking(one.check)
  }, async (request, reply) => {
    const { id } = request.params
    return answer(request, reply, async () => {
      const dataVersion = app.profiles.dataVersion()
      const profile = await app.profiles.findById(id)
      if (!profile) throw createError(404, `No profile with id ${id}`)
      // The route's 200 schema serialises it: columns another tool filled oddly still come out strings.
      return { dataVersion, contentType: JSON_TYPE, headers: {}, body: reply.serialize(profile) as string }
    })
  })
}

export default profilesRoutes
