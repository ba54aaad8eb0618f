// GET /api/users/profiles.csv and .ndjson: every row of a search, one snapshot, streamed at the reader's pace.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { CSV, type ExportFormat, exportFileName, NDJSON } from '../../http/exportFormats.js'
import { ExportStream } from '../../http/exportStream.js'
import { entityTag, ifNoneMatchHits, NOT_STORED } from '../../http/conditionalGet.js'
import { checking, profilesQueryRules } from '../../query/profilesQuery.js'
import { ExportBusy, exportFile, ExportQuery } from '../../schemas/exports.js'
import { API_ERRORS, NotModified } from '../../schemas/profiles.js'

export interface ExportsRoutesOptions {
  cacheControl: string
  /** Exports this process streams at once (EXPORT_CONCURRENCY). */
  concurrency: number
}

const EXPORT_PARAMETERS = Object.keys(ExportQuery.properties)
/** Seconds a client turned away is asked to wait: an export of a million rows takes a few. */
const RETRY_AFTER_SECONDS = 10

const exportsRoutes: FastifyPluginAsyncTypebox<ExportsRoutesOptions> = async (app, { cacheControl, concurrency }) => {
  let running = 0
  const preValidation = checking(profilesQueryRules({ unknown: 'reject', emptyMeansAbsent: false, known: EXPORT_PARAMETERS }))

  for (const format of [CSV, NDJSON] as ExportFormat[]) {
    app.get(`/users/profiles.${format.extension}`, {
      schema: {
        tags: ['profiles'],
        operationId: `exportProfiles${format.extension === 'csv' ? 'Csv' : 'Ndjson'}`,
        summary: `Every profile matching the filters, in order, as ${format.extension === 'csv' ? 'CSV' : 'NDJSON'}`,
        description: 'One snapshot of the data, streamed. Takes the list\'s filters and order_by with its rules; page, ' +
          'pagination and after are 400s naming them. At most EXPORT_CONCURRENCY exports run at once; beyond, a 503 with Retry-After.',
        querystring: ExportQuery,
        response: {
          200: format === CSV
            ? exportFile(CSV.contentType, 'RFC 4180 CSV with a header row and CRLF line ends; a formula-leading field starts with \'')
            : exportFile(NDJSON.contentType, 'One profile object per line'),
          304: NotModified,
          ...API_ERRORS,
          503: ExportBusy
        }
      },
      preValidation
    }, async (request, reply) => {
      const query = request.query
      const key = `api-export:${format.extension}:${JSON.stringify([query.order_by, query.username ?? null, query.id ?? null, query.type ?? null])}`
      const conditional = request.headers['if-none-match']
      const currentTag = entityTag(key, app.profiles.dataVersion())
      if (ifNoneMatchHits(conditional, currentTag)) return reply.code(304).headers({ etag: currentTag, 'cache-control': cacheControl }).send(null)
      if (running >= concurrency) {
        return reply.code(503).headers({ 'retry-after': String(RETRY_AFTER_SECONDS), 'cache-control': NOT_STORED }).send({
          statusCode: 503,
          error: 'Service Unavailable',
          message: `${concurrency} ${concurrency === 1 ? 'export is' : 'exports are'} under way, as many as run at once; try again in ${RETRY_AFTER_SECONDS} s`
        })
      }
      running++
      let released = false
      const release = () => {
        if (!released) running--
        released = true
      }
      try {
        const exported = await app.profileExports.open(query)
        // The snapshot may be newer than the version the tag above was made at.
        const etag = entityTag(key, exported.dataVersion)
        if (ifNoneMatchHits(conditional, etag)) {
          await exported.close()
          release()
          return reply.code(304).headers({ etag, 'cache-control': cacheControl }).send(null)
        }
        const stream = new ExportStream(exported, format)
        // Its place is free once its rows are all read ('end'), or when it stops early ('close').
        stream.once('end', release).once('close', release)
        // A reader that goes away ends the export (and its snapshot) at once.
        reply.raw.once('close', () => stream.destroy())
        return reply.code(200).headers({
          'content-type': format.contentType,
          'content-disposition': `attachment; filename="${exportFileName(query, format)}"`,
          'x-total-count': String(exported.total),
          etag,
          'cache-control': cacheControl
        // The 200's schema describes the file for the document; the type provider cannot type a stream.
        }).send(stream as never)
      } catch (error) {
        release()
        throw error
      }
    })
  }
}

export default exportsRoutes
