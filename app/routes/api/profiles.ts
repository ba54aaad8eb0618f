// GET /api/users/profiles and /api/users/profiles/:id.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import createError from 'http-errors'
import { answeredNotModified, entityTag } from '../../http/conditionalGet.js'
import {
  apiListHref, canonicalQueryKey, linkHeader, pageCount, pageLinks, profilesQueryRules, requireDigits
} from '../../query/profilesQuery.js'
import { API_ERRORS, NotModified, ProfileParams, ProfileResponse, ProfilesPage, ProfilesQuery } from '../../schemas/profiles.js'

export interface ProfilesRoutesOptions {
  cacheControl: string
}

const ID_PARAM = new Set(['id'])

const profilesRoutes: FastifyPluginAsyncTypebox<ProfilesRoutesOptions> = async (app, { cacheControl }) => {
  app.get('/users/profiles', {
    schema: {
      tags: ['profiles'],
      operationId: 'listProfiles',
      summary: 'A page of profiles, filtered and ordered',
      description: 'Filters combine with AND. An unknown or repeated parameter, or a value out of range, is a 400 ' +
        'naming the parameter; a page past the last is a 404. No match is a 200 with total 0.',
      querystring: ProfilesQuery,
      response: { 200: ProfilesPage, 304: NotModified, ...API_ERRORS }
    },
    preValidation: profilesQueryRules({ unknown: 'reject', emptyMeansAbsent: false })
  }, async (request, reply) => {
    const query = request.query
    const canonical = canonicalQueryKey(query)
    const version = app.profiles.dataVersion()
    const tag = entityTag('api-list', version, canonical)
    if (answeredNotModified(request, reply, tag, cacheControl)) return reply

    const { dataVersion, total, results } = app.profiles.findPage(query)
    const pages = pageCount(total, query.pagination)
    if (pages >= 1 && query.page > pages) {
      throw createError(404, `Page ${query.page} is past the last page, ${pages}`)
    }
    const links = pageLinks(query.page, pages, (page) => apiListHref(query, page))
    // The tag names the version the rows were read at, should a seed have committed meanwhile.
    reply.etag(dataVersion === version ? tag : entityTag('api-list', dataVersion, canonical))
    reply.header('X-Total-Count', total)
    if (pages >= 1) reply.header('Link', linkHeader(links))
    return { page: query.page, pagination: query.pagination, total, pages, order_by: query.order_by, results, links }
  })

  app.get('/users/profiles/:id', {
    schema: {
      tags: ['profiles'],
      operationId: 'getProfile',
      summary: 'One profile by account id',
      params: ProfileParams,
      response: { 200: ProfileResponse, 304: NotModified, ...API_ERRORS }
    },
    preValidation: async (request) => requireDigits(request.params as Record<string, unknown>, ID_PARAM, 'Path parameter')
  }, async (request, reply) => {
    const { id } = request.params
    const version = app.profiles.dataVersion()
    const tag = entityTag('api-profile', version, String(id))
    if (answeredNotModified(request, reply, tag, cacheControl)) return reply
    const profile = app.profiles.findById(id)
    if (!profile) throw createError(404, `No profile with id ${id}`)
    reply.etag(tag)
    return profile
  })
}

export default profilesRoutes
