// GET /api/users/profiles and /api/users/profiles/:id.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import createError from 'http-errors'
import { answer, answerKnownUrl, type BuiltAnswer } from '../../http/conditionalGet.js'
import {
  apiListHrefs, canonicalQueryKey, checking, linkHeader, pageCount, pageLinks, profilesQueryRules, profilesSearchParams,
  rejectQueryParameters, requireDigits
} from '../../query/profilesQuery.js'
import { decodeCursor, encodeCursor } from '../../query/profilesCursor.js'
import { API_ERRORS, NotModified, ProfileParams, ProfileResponse, ProfilesListQuery, ProfilesPage } from '../../schemas/profiles.js'
import { type PageRead, whenReady } from '../../store/profilesSource.js'

export interface ProfilesRoutesOptions {
  cacheControl: string
}

const ID_PARAM = new Set(['id'])
const JSON_TYPE = 'application/json; charset=utf-8'

/**
 * The list's JSON, in ProfilesPage's shape. The results array comes from the database already as
 * JSON (every text column a JSON string), and the envelope holds only numbers, an order_by from a fixed
 * set and links we build: so it is assembled as text rather than parsed and serialised again.
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

const profilesRoutes: FastifyPluginAsyncTypebox<ProfilesRoutesOptions> = async (app, { cacheControl }) => {
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
    onRequest: answerKnownUrl(cacheControl),
    preValidation: checking(profilesQueryRules({ unknown: 'reject', emptyMeansAbsent: false, cursor: true }))
  }, (request, reply) => {
    // The build closes over the query only, never the request: the front door may keep it for later requests.
    const listQuery = request.query
    const { after, ...query } = listQuery
    const page = after === undefined ? query : { ...query, after: decodeCursor(query, after) }
    return answer(request, reply, `api-list:${canonicalQueryKey(listQuery)}`, cacheControl,
      () => whenReady(app.profiles.readPage(page), (read) => listAnswer(listQuery, read)))
  })

  app.get('/users/profiles/:id', {
    schema: {
      tags: ['profiles'],
      operationId: 'getProfile',
      summary: 'One profile by account id',
      params: ProfileParams,
      response: { 200: ProfileResponse, 304: NotModified, ...API_ERRORS }
    },
    onRequest: answerKnownUrl(cacheControl),
    preValidation: checking(
      rejectQueryParameters,
      (request) => requireDigits(request.params as Record<string, unknown>, ID_PARAM, 'Path parameter')
    )
  }, (request, reply) => {
    const { id } = request.params
    // The route's 200 schema serialises it (columns another tool filled oddly still come out
    // strings), without the reply: the front door may call this build again for later requests.
    const serialize = reply.getSerializationFunction('200')
    if (!serialize) throw new Error('GET /users/profiles/:id needs its 200 response schema')
    return answer(request, reply, `api-profile:${id}`, cacheControl, () => {
      const dataVersion = app.profiles.dataVersion()
      return whenReady(app.profiles.findById(id), (profile) => {
        if (!profile) throw createError(404, `No profile with id ${id}`)
        return { dataVersion, contentType: JSON_TYPE, headers: {}, body: serialize(profile) }
      })
    })
  })
}

export default profilesRoutes
