// TypeBox schemas of GET /api/users/facets: the list's filters in, rows per type out.
import { Type, type Static } from 'typebox'
import { ProfilesQuery } from './profiles.js'

const { username, id, type } = ProfilesQuery.properties

/** The list's filters, with the list's rules; no paging, order or cursor (a 400 naming it). */
export const FacetsQuery = Type.Object({ username, id, type }, { additionalProperties: false })
export type FacetsQuery = Static<typeof FacetsQuery>

const TypeCount = (name: string) => Type.Integer({ minimum: 0, description: `${name} accounts matching every filter but type` })

export const FacetsResponse = Type.Object({
  total: Type.Integer({ minimum: 0, description: 'Rows matching every filter given' }),
  type: Type.Object({
    User: TypeCount('User'),
    Organization: TypeCount('Organization'),
    Bot: TypeCount('Bot')
  }, { description: 'Each type, 0 included: its count applies every filter but type, so a bar can show the alternatives' })
}, {
  description: 'The counts behind a filter bar',
  headers: {
    ETag: { type: 'string', description: 'Names this representation at this data version; send it back in If-None-Match' },
    'Cache-Control': { type: 'string', description: 'public, max-age=N' }
  }
})
export type FacetsResponse = Static<typeof FacetsResponse>
