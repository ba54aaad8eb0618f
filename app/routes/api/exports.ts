// GET /api/users/profiles.csv and .ndjson: every row of a search, one snapshot, streamed at the reader's pace.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { CSV, type ExportFormat, exportFileName, NDJSON } from '../../http/exportFormats.js'
import { ExportStream } from '../../http/exportStream.js'
import { ANSWER_LIFETIME_MS, entityTag, type Representation } from '../../http/answers.js'
import { NOT_STORED } from '../../http/edgeAnswers.js'
import { checking, profilesQueryRules } from '../../query/profilesQuery.js'
import { ExportBusy, exportFile, ExportQuery } from '../../schemas/exports.js'
import { API_ERRORS, NotModified } from '../../schemas/profiles.js'

export interface ExportsRoutesOptions {
  /** Exports this process streams at once (EXPORT_CONCURRENCY). */
  concurrency: number
}

const EXPORT_PARAMETERS = Object.keys(ExportQuery.properties)
/** Seconds a client turned away is asked to wait: an export of a million rows takes a few. */
const RETRY_AFTER_SECONDS = 10

const exportsRoutes: FastifyPluginAsyncTypebox<ExportsRoutesOptions> = async (app, { concurrency }) => {
  let running = 0
  const check = profilesQueryRules({ unknown: 'reject', emptyMeansAbsent: false, known: EXPORT_PARAMETERS })

  for (const format of [CSV, NDJSON] as ExportFormat[]) {
    const file: Representation = {
      check,
      key: ({ query }) => {
        const { order_by: order, username, id, type } = query as ExportQuery
        return `api-export:${format.extension}:${JSON.stringify([order, username ?? null, id ?? null, type ?? null])}`
      }
    }
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
      config: { representation: file },
      preValidation: checking(check)
    }, async (request, reply) => {
      const query = request.query
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
        const stream = new ExportStream(exported, format)
        // Its place is free once its rows are all read ('end'), or when it stops early ('close').
        stream.once('end', release).once('close', release)
        // A reader that goes away ends the export (and its snapshot) at once.
        reply.raw.once('close', () => stream.destroy())
        // Tagged at the snapshot's version, which may be newer than the one this request began at.
        return reply.etag(entityTag(file.key(request), exported.dataVersion), ANSWER_LIFETIME_MS).code(200).headers({
          'content-type': format.contentType,
          'content-disposition': `attachment; filename="${exportFileName(query, format)}"`,
          'x-total-count': String(exported.total)
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
