// The facets read on the SQLite file: rows per type from the kept counts, or counted over the rows
// an id or a username term matches; one statement, so counts and data version share a snapshot.
import type { Database, Statement } from 'better-sqlite3'
import { TERM_COUNTS_TABLE, TYPE_ID_TRIGRAMS, USERNAME_TRIGRAMS } from '../derivedData.js'
import { facetsFromCounts, type FacetsRead, type ProfilesFacetsSource } from '../profilesFacetsSource.js'
import { foldTerm, KEPT_TERM_LENGTH } from '../profilesPlan.js'
import type { ProfileFilters } from '../profilesSource.js'
import { NON_ASCII } from '../usernameTerms.js'
import { containsPattern, FILTER_SQL, metaColumns, PHRASE_IS_EXACT, TRIGRAM_LENGTH, trigramPhrase, TYPE_RANGES } from './pageSql.js'

/** The file's data version and whether the derived data matches it (the columns the page statement reads). */
const VERSION_COLUMNS = metaColumns(['file_id', 'data_version', 'derived_version'])

interface FacetsRow { file_id: string, data_version: number, derived_version: number, counts: string }

/** A statement's counts of rows per type, and whether it relies on derived data (then it must match the snapshot). */
interface Counts { sql: string, usesDerived: boolean }

const BY_TYPE = 'SELECT CAST(u.type AS TEXT) AS type, count(*) AS n'

/** A term's counts kept by the seed: a short one's (no index answers one), a common longer one's (longTerms.ts). */
const KEPT_COUNTS = `SELECT type, count AS n FROM ${TERM_COUNTS_TABLE} WHERE term = @term`

/**
 * Rows per type among the logins containing the term: the seed's kept counts for a short term; for a
 * longer one, its kept counts if it is a common one, else the type-ordered phrase index, range by
 * range, where it is exact, else the trigram candidates, each read and compared; without current
 * derived data, a scan.
 */
function usernameCounts (useDerived: boolean, term: string): Counts {
  if (useDerived && [...term].length <= KEPT_TERM_LENGTH) return { sql: KEPT_COUNTS, usesDerived: true }
  if (useDerived && [...term].length >= TRIGRAM_LENGTH) {
    const notKept = `NOT EXISTS (${KEPT_COUNTS})`
    // A type another tool stored as a number or blob counts under its text, as a scan's CAST counts it.
    const exact = `SELECT CAST(r.type AS TEXT) AS type, sum((SELECT count(*) FROM ${TYPE_ID_TRIGRAMS} x WHERE x.${TYPE_ID_TRIGRAMS} ` +
      `MATCH @trigramQuery AND x.rowid > r.before AND x.rowid <= r.before + r.count)) AS n FROM (${TYPE_RANGES}) r ` +
      `WHERE ${PHRASE_IS_EXACT} AND ${notKept} GROUP BY 1`
    // The conditions in a row read first: in the WHERE clause, SQLite tests them on every candidate.
    const compared = `${BY_TYPE} FROM (SELECT 1 WHERE NOT (${PHRASE_IS_EXACT}) AND ${notKept}) CROSS JOIN ${USERNAME_TRIGRAMS} t ` +
      `JOIN users u ON u.id = t.rowid WHERE t.${USERNAME_TRIGRAMS} MATCH @trigramQuery AND ${FILTER_SQL.username} GROUP BY 1`
    return { sql: `${KEPT_COUNTS} UNION ALL ${exact} UNION ALL ${compared}`, usesDerived: true }
  }
  return { sql: `${BY_TYPE} FROM users u WHERE ${FILTER_SQL.username} GROUP BY 1`, usesDerived: false }
}

/** Rows per type matching username and id (never type: each type's count ignores it). */
function typeCounts (filters: ProfileFilters, useDerived: boolean): Counts {
  if (filters.id !== undefined) {
    // One row at most, by primary key.
    const username = filters.username === undefined ? '' : ` AND ${FILTER_SQL.username}`
    return { sql: `${BY_TYPE} FROM users u WHERE u.id = @id${username} GROUP BY 1`, usesDerived: false }
  }
  if (filters.username !== undefined) return usernameCounts(useDerived, filters.username)
  if (useDerived) return { sql: 'SELECT CAST(type AS TEXT) AS type, sum(count) AS n FROM ghusers_type_counts GROUP BY 1', usesDerived: true }
  // Another tool wrote the file since the counts were kept: the users_type index, read whole.
  return { sql: `${BY_TYPE} FROM users u GROUP BY 1`, usesDerived: false }
}

/** Reads facets on one connection (the server's, or an export's inside its read transaction). */
export class ProfilesFacets implements ProfilesFacetsSource {
  private readonly statements = new Map<string, Statement>()

  constructor (private readonly db: Database) {}

  read (filters: ProfileFilters): FacetsRead {
    // Derived data that does not match the snapshot (another tool wrote) is read past with a count.
    return this.tryRead(filters, true) ?? this.tryRead(filters, false)!
  }

  private tryRead (filters: ProfileFilters, useDerived: boolean): FacetsRead | undefined {
    const { sql, usesDerived } = typeCounts(filters, useDerived)
    const row = this.statement(sql).get(this.parameters(filters, sql)) as FacetsRow
    if (usesDerived && row.derived_version !== row.data_version) return undefined
    const counts = JSON.parse(row.counts) as Record<string, number>
    return facetsFromCounts(`${row.file_id}.${row.data_version}`, counts, filters.type)
  }

  private statement (countsSql: string): Statement {
    let statement = this.statements.get(countsSql)
    if (!statement) {
      statement = this.db.prepare(`SELECT ${VERSION_COLUMNS}, (SELECT json_group_object(type, n) FROM (${countsSql})) AS counts`)
      this.statements.set(countsSql, statement)
    }
    return statement
  }

  private parameters (filters: ProfileFilters, sql: string): Record<string, unknown> {
    const params: Record<string, unknown> = {}
    if (filters.username !== undefined) {
      if (sql.includes('@usernamePattern')) params.usernamePattern = containsPattern(filters.username)
      if (sql.includes('@term')) params.term = foldTerm(filters.username)
      if (sql.includes('@trigramQuery')) {
        params.trigramQuery = trigramPhrase(filters.username)
        params.asciiTerm = NON_ASCII.test(filters.username) ? 0 : 1
      }
    }
    if (filters.id !== undefined) params.id = filters.id
    return params
  }
}
