// The facets read on PostgreSQL: rows per type from the kept counts, or counted over the rows an id
// or a username term matches; one statement, so counts and data version share a snapshot.
import type pg from 'pg'
import { facetsFromCounts, type FacetsRead, type ProfilesFacetsSource } from '../profilesFacetsSource.js'
import { foldTerm, KEPT_TERM_LENGTH } from '../profilesPlan.js'
import type { ProfileFilters } from '../profilesSource.js'
import { TERM_COUNTS_TABLE } from '../derivedData.js'
import { foldedContainsPattern, foldedLoginsLike } from './pageSql.js'
import { FOLDED_LOGINS_TABLE, FOLDED_USERNAME, STATE_SQL, stateOf, type StateRow } from './schema.js'
import { unavailableOr } from './serviceUnavailable.js'

interface FacetsRow extends StateRow { counts: Record<string, number> }

const BY_TYPE = 'SELECT u.type AS type, count(*) AS n FROM users u'
const USERNAME_LIKE = `${FOLDED_USERNAME} LIKE $1 ESCAPE '\\'`

/** Rows per type among the folded logins containing the term (its pattern the parameter `pattern`), while they match the data. */
function foldedCountsSql (pattern: string): string {
  return `SELECT u.type AS type, count(*) AS n FROM ${FOLDED_LOGINS_TABLE} u WHERE ${foldedLoginsLike(pattern)} GROUP BY 1`
}

/** Rows per type matching username and id (never type: each type's count ignores it), and its values. */
function typeCounts (filters: ProfileFilters, useDerived: boolean): { sql: string, values: unknown[], usesDerived: boolean } {
  if (filters.id !== undefined) {
    // One row at most, by primary key.
    if (filters.username === undefined) return { sql: `${BY_TYPE} WHERE u.id = $1 GROUP BY 1`, values: [filters.id], usesDerived: false }
    return {
      sql: `${BY_TYPE} WHERE ${USERNAME_LIKE} AND u.id = $2 GROUP BY 1`,
      values: [foldedContainsPattern(filters.username), filters.id],
      usesDerived: false
    }
  }
  if (filters.username !== undefined) {
    // A short term's counts are kept by the seed (no index answers one), and a common longer one's (longTerms.ts).
    const kept = `SELECT type, count AS n FROM ${TERM_COUNTS_TABLE} WHERE term = $1`
    const term = foldTerm(filters.username)
    if (useDerived && [...filters.username].length <= KEPT_TERM_LENGTH) return { sql: kept, values: [term], usesDerived: true }
    if (useDerived) {
      return {
        sql: `${kept} UNION ALL SELECT * FROM (${foldedCountsSql('$2')}) c WHERE NOT EXISTS (${kept})`,
        values: [term, foldedContainsPattern(filters.username)],
        usesDerived: true
      }
    }
    return { sql: `${BY_TYPE} WHERE ${USERNAME_LIKE} GROUP BY 1`, values: [foldedContainsPattern(filters.username)], usesDerived: false }
  }
  if (useDerived) return { sql: 'SELECT type, count AS n FROM ghusers_type_counts', values: [], usesDerived: true }
  // Another tool wrote users since the counts were kept: the users_type index, read whole.
  return { sql: `${BY_TYPE} GROUP BY 1`, values: [], usesDerived: false }
}

/**
 * Reads facets on `db`: the pool (the API), or an export's client inside its REPEATABLE READ
 * transaction; `derivedCurrent` says whether the kept counts may be trusted to match the snapshot.
 */
export async function readPostgresFacets (db: pg.Pool | pg.ClientBase, filters: ProfileFilters, derivedCurrent = true): Promise<FacetsRead> {
  const { sql, values, usesDerived } = typeCounts(filters, derivedCurrent)
  let row: FacetsRow
  try {
    const result = await db.query<FacetsRow>(
      `SELECT s.*, (SELECT coalesce(json_object_agg(c.type, c.n), '{}'::json) FROM (${sql}) c) AS counts FROM (${STATE_SQL}) s`,
      values
    )
    row = result.rows[0]!
  } catch (error) {
    throw unavailableOr(error)
  }
  const state = stateOf(row)
  // The kept counts did not match the snapshot read (another tool wrote): count instead.
  if (usesDerived && !state.derivedCurrent) return await readPostgresFacets(db, filters, false)
  return facetsFromCounts(state.token, row.counts, filters.type)
}

export class PostgresProfilesFacets implements ProfilesFacetsSource {
  constructor (private readonly pool: pg.Pool) {}

  read (filters: ProfileFilters): Promise<FacetsRead> {
    return readPostgresFacets(this.pool, filters)
  }
}
