// Searches on PostgreSQL read by their total as the file's are (issue #19): a rare short term from
// the listed ids, a common one from its last mark, a late page from the end; the lists and marks the
// same as the file's for the same accounts, each page compared with the contract's whole list.
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import type { Profile } from '../../app/schemas/profiles.js'
import { sampleAccounts } from '../../app/seed/sampleAccounts.js'
import { seedDatabase } from '../../app/seed/seedDatabase.js'
import { seedPostgres } from '../../app/seed/seedPostgres.js'
import { TERM_IDS_TABLE } from '../../app/store/derivedData.js'
import { openPostgresPool } from '../../app/store/postgres/connection.js'
import { PostgresProfilesRepository } from '../../app/store/postgres/profilesRepository.js'
import { WALKED_ROWS, type PageQuery } from '../../app/store/profilesPlan.js'
import { TERM_MARKS_TABLE } from '../../app/store/termMarks.js'
import { cleanUpLater } from '../helpers/cleanup.js'
import { HOSTILE_PROFILES, temporaryDirectory } from '../helpers/fixtures.js'
import { startPostgresServer } from '../helpers/postgresServer.js'
import {
  COMMON_TRIGRAM_PROFILES, expectSearchPages, expectTermsAbsentFromATypePages, SEARCH_SAMPLE_ACCOUNTS, searchTerms
} from '../helpers/searchPages.js'
import { expectedIds, TIED_PROFILES, walk } from '../helpers/walk.js'
import { ORDER_BY_VALUES } from '../../app/schemas/profiles.js'

const postgres = await startPostgresServer()

/** The sample accounts, then `extra`, as one seed gives them. */
async function * accounts (extra: Profile[]) {
  yield * sampleAccounts({ since: 0, total: SEARCH_SAMPLE_ACCOUNTS })
  yield extra
}

/** The same accounts seeded into PostgreSQL and into a file. */
async function seededBoth (extra: Profile[]): Promise<{ databaseUrl: string, path: string }> {
  const databaseUrl = await postgres.createDatabase()
  await seedPostgres({ databaseUrl, batches: accounts(extra) })
  const path = join(temporaryDirectory(), 'same.db')
  await seedDatabase({ databasePath: path, batches: accounts(extra) })
  return { databaseUrl, path }
}

const MARKS_SQL = `SELECT scope, order_by, term, block, matches_before, CAST(after_key AS TEXT) AS after_key, after_id FROM ${TERM_MARKS_TABLE}
  ORDER BY scope, order_by, term, matches_before`
const LISTED_SQL = `SELECT term, id FROM ${TERM_IDS_TABLE} ORDER BY term, id`

describe.each([['ASCII logins', COMMON_TRIGRAM_PROFILES], ['hostile logins', HOSTILE_PROFILES], ['ASCII logins with case twins', TIED_PROFILES]])(
  'PostgreSQL searches on %s', async (_name, extra) => {
    const { databaseUrl, path } = await seededBoth(extra)
    const pool = openPostgresPool(databaseUrl)
    const repository = await PostgresProfilesRepository.open(pool, databaseUrl)
    cleanUpLater(async () => {
      await repository.close()
      await pool.end()
    })
    const file = new BetterSqlite3(path, { readonly: true })
    cleanUpLater(() => file.close())
    const rows = (await pool.query<Profile>('SELECT id, username, avatar_url, type, url FROM users')).rows
    const listedTerms = file.prepare(`SELECT term FROM ${TERM_IDS_TABLE} GROUP BY term ORDER BY count(*), term`).pluck().all() as string[]
    const terms = searchTerms(listedTerms)

    it('lists the rare short terms\' ids and marks the common terms as the file does, mark for mark', async () => {
      const marks = (await pool.query(MARKS_SQL)).rows
      expect(marks.length).toBeGreaterThan(1_000)
      expect(marks).toEqual(file.prepare(MARKS_SQL).all())
      const listed = (await pool.query(LISTED_SQL)).rows
      expect(listed.length).toBeGreaterThan(100)
      expect(listed).toEqual(file.prepare(LISTED_SQL).all())
    })

    it('gives exact totals and the contract\'s pages, first, early, middle, late and last, in every order, with and without a type', async () => {
      await expectSearchPages((query) => repository.readPage(query), rows, terms)
    }, 120_000)

    it('reads the short terms no Bot holds, in the type orders, by page and by cursor, as the contract lists them', async () => {
      await expectTermsAbsentFromATypePages((query) => repository.readPage(query), rows)
    }, 120_000)

    it('walks the short terms by cursor, in every order, as the contract lists them', async () => {
      for (const username of ['e', 'an', listedTerms[0]!]) {
        for (const orderBy of ORDER_BY_VALUES) {
          const { ids } = await walk((query) => repository.readPage(query), { username }, orderBy, 500)
          expect(ids, JSON.stringify({ username, orderBy })).toEqual(expectedIds(rows, { username }, orderBy))
        }
      }
    }, 120_000)

    it('walks longer terms by cursor, ranked and not, in every order, as the contract lists them', async () => {
      // Unranked, as a cursor from another data version is: the page after it is not bounded by the total.
      const unranked = (query: PageQuery) => repository.readPage(query.after ? { ...query, after: { key: query.after.key, id: query.after.id } } : query)
      for (const username of ['ALICE', 'code']) {
        for (const orderBy of ORDER_BY_VALUES) {
          const wanted = expectedIds(rows, { username }, orderBy)
          for (const read of [(query: PageQuery) => repository.readPage(query), unranked]) {
            const { ids } = await walk(read, { username }, orderBy, 50)
            expect(ids, JSON.stringify({ username, orderBy })).toEqual(wanted)
          }
        }
      }
    }, 120_000)

    it('finds a cursor\'s page past more rows without a match than a bounded walk reads, from the sorted candidates', async () => {
      // From the first login of the -username order: every alice is past the rest of the list, more than WALKED_ROWS rows.
      const list = expectedIds(rows, {}, '-username')
      const first = rows.find((row) => row.id === list[0])!
      const after = { key: first.username, id: first.id }
      const query = { page: 1, pagination: 20, order_by: '-username', username: 'ALICE', after } as const
      const { resultsJson } = await repository.readPage(query)
      const wanted = expectedIds(rows, { username: 'ALICE' }, '-username')
      expect(wanted.indexOf(first.id)).toBe(-1)
      expect(list.indexOf(wanted[0]!)).toBeGreaterThan(WALKED_ROWS)
      expect((JSON.parse(resultsJson) as Profile[]).map((row) => row.id)).toEqual(wanted.slice(0, 20))
    })
  })
