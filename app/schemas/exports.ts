// TypeBox schemas of the exports, GET /api/users/profiles.csv and .ndjson: the list's filters and order in, a file out.
import { Type, type Static } from 'typebox'
import { ProfilesQuery } from './profiles.js'

const { order_by: orderBy, username, id, type } = ProfilesQuery.properties

/** The list's filters and order, with its rules; no paging or cursor (a 400 naming it). */
export const ExportQuery = Type.Object({ order_by: orderBy, username, id, type }, { additionalProperties: false })
export type ExportQuery = Static<typeof ExportQuery>

const EXPORT_HEADERS = {
  ETag: { type: 'string', description: 'Names this export at this data version; send it back in If-None-Match' },
  'Cache-Control': { type: 'string', description: 'public, max-age=N' },
  'Content-Disposition': { type: 'string', description: 'attachment, with a file name that names the filters' },
  'X-Total-Count': { type: 'integer', description: 'Rows in the export' }
}

/** The 200 of an export: a file of `mediaType`, described for the OpenAPI document (streamed, never serialised). */
export function exportFile (mediaType: string, description: string) {
  return { description, headers: EXPORT_HEADERS, content: { [mediaType]: { schema: Type.String({ description }) } } }
}

export const ExportBusy = Type.Object({
  statusCode: Type.Integer(),
  error: Type.String(),
  message: Type.String()
}, {
  description: 'Service Unavailable: as many exports as the server runs at once are under way',
  headers: { 'Retry-After': { type: 'integer', description: 'Seconds to wait before trying again' } }
})
