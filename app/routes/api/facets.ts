// GET /api/users/facets: rows per type for the list's filters, cached like the list.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { answer, JSON_TYPE, type Representation } from '../../http/answers.js'
import { canonicalFiltersKey, checking, profilesQueryRules } from '../../query/profilesQuery.js'
import { FacetsQuery, FacetsResponse } from '../../schemas/facets.js'
import { API_ERRORS, NotModified } from '../../schemas/profiles.js'
import { whenReady } from '../../store/profilesSource.js'

const FACETS_PARAMETERS = Object.keys(FacetsQuery.properties)

const facets: Representation = {
  check: profilesQueryRules({ unknown: 'reject', emptyMeansAbsent: false, known: FACETS_PARAMETERS }),
  key: ({ query }) => `api-facets:${canonicalFiltersKey(query as FacetsQuery)}`
}

const facetsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/users/facets', {
    schema: {
      tags: ['profiles'],
      operationId: 'profileFacets',
      summary: 'How many profiles of each type match the filters',
      description: 'Takes the list\'s filters with its rules. `total` applies every filter; each type\'s count applies ' +
        'every filter but `type`. page, pagination, order_by and after are 400s naming them.',
      querystring: FacetsQuery,
      response: { 200: FacetsResponse, 304: NotModified, ...API_ERRORS }
    },
    config: { representation: facets },
    preValidation: checking(facets.check)
  }, async (request, reply) => {
    const filters = request.query
    return answer(request, reply, () => whenReady(app.profileFacets.read(filters), (read) => ({
      dataVersion: read.dataVersion,
      contentType: JSON_TYPE,
      headers: {},
      body: JSON.stringify({ total: read.total, type: read.type })
    })))
  })
}

export default facetsRoutes
