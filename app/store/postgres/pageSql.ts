// The PostgreSQL dialect of the page plan: one statement per plan, reading the state, the total and
// the page's rows as one JSON array, from one snapshot; a search first reads its total and lookups
// (totalFirstSql), and its page is kept only if the state is the same in both.
import type { OrderBy } from '../../schemas/profiles.js'
import { positionsTable, TERM_COUNTS_TABLE, TERM_IDS_TABLE, typePositionsTable } from '../derivedData.js'
import { ORDER_KEYS, orderWithinType, termCountedByType, WALKED_ROWS, type FilterName, type Plan, type Trigrams } from '../profilesPlan.js'
import { TERM_MARKED, TERM_MARKS_TABLE } from '../termMarks.js'
import { FOLDED_LOGINS_TABLE, FOLDED_USERNAME, foldedRankColumn, postgresOrderSql, PROFILE_TYPE, STATE_SQL } from './schema.js'

/**
 * The username filter as users' trigram index answers it: a term's candidates where the folded
 * logins are not read (an id filter, stale derived data), and the filter of a plan made without the
 * term's total, left to PostgreSQL's choice.
 */
const TERM_CANDIDATES = `${FOLDED_USERNAME} LIKE :usernamePattern ESCAPE '\\'`

// The filters as a walk of an index in the page's order applies them row by row. The username's is an
// expression with no statistics and no index, which PostgreSQL estimates to keep a third of the rows
// whatever the term: any estimate made from the term is far too low for the terms a plan walks (from
// the expression index's histogram for a short term, and a LIKE pattern's shrinks with each
// character), and PostgreSQL then reads and sorts every row of a type, every trigram candidate or
// the whole table, where the plan walks a few hundred. A plan made without the term's total
// (pageSql's `planned`) filters with TERM_CANDIDATES instead.
const FILTER_SQL: Record<FilterName, string> = {
  username: `strpos(${FOLDED_USERNAME}, :term) > 0`,
  id: 'u.id = :id',
  // Compared as the type indexes hold it, so that they answer the filter.
  type: 'u.type COLLATE "C" = :type'
}

export const COLUMNS = 'u.id, u.username, u.avatar_url, u.type, u.url'

/** pg_trgm's index answers terms of three or more characters, its candidates in no useful order. */
export const TRIGRAMS: Trigrams = { length: 3, idOrdered: false }

/** The order's column as it sorts, and a cursor's key in the same terms. */
const KEY_COLUMN = {
  username: { column: `${FOLDED_USERNAME} COLLATE "C"`, key: 'ghusers_fold(:afterKey) COLLATE "C"' },
  type: { column: 'u.type COLLATE "C"', key: ':afterKey COLLATE "C"' }
} as const

/** A LIKE pattern matching `term` anywhere, folded as usernames are, with %, _ and \ matching themselves. */
export function foldedContainsPattern (term: string): string {
  const folded = term.replace(/[A-Z]/g, (char) => char.toLowerCase())
  return `%${folded.replace(/[\\%_]/g, (char) => `\\${char}`)}%`
}

/**
 * SELECT of the JSON array of the profiles of rows `u`, in `order` ('[]' for none): each the API's
 * five fields, whatever other columns another tool added to users, with no spaces, as the file's
 * JSON (json_agg would put a line break between rows, json_build_object spaces around colons).
 */
function jsonArraySql (order: string): string {
  return `SELECT '[' || coalesce(string_agg(row_to_json((${COLUMNS})::${PROFILE_TYPE})::text, ',' ORDER BY ${order}), '') || ']'`
}

/**
 * What a keyset read yields: a cursor's page (its rows), a marked page's rows, after skipping the
 * first :offset rows past the mark, or the WALKED_ROWS rows after a cursor that a bounded walk reads.
 */
type KeysetRead = 'page' | 'skipping' | 'walk'

/**
 * The rows after a cursor's (key, id), with `part` before the order: in the id orders one range of
 * ids; otherwise the rest of the key's rows (by id), then the rows past the key (by key, id), each
 * a range of an index in that exact order, so no row before the cursor is read. The second part
 * asks only for the rows the first did not give: when those are none, its scan never starts (a term
 * absent past the key would otherwise be sought through every row there).
 */
function keysetRowsSql (
  orderBy: OrderBy, source: string, columns: string, where: string[], read: KeysetRead, skipTermlessTypes: boolean
): string {
  const { column, descending } = ORDER_KEYS[orderBy]
  const whereSql = (more: string) => [...where, more].join(' AND ')
  const rows = read === 'walk' ? `${WALKED_ROWS}` : ':limit'
  const partRows = read === 'skipping' ? ':limit::bigint + :offset::bigint' : `${rows}::bigint`
  const skip = read === 'skipping' ? ' OFFSET :offset' : ''
  if (column === null) {
    return `SELECT ${columns}, 0 AS part FROM ${source} WHERE ${whereSql(`u.id ${descending ? '<' : '>'} :afterId`)} ` +
      `ORDER BY ${postgresOrderSql(orderBy)} LIMIT ${rows}${skip}`
  }
  const { column: keyColumn, key } = KEY_COLUMN[column]
  const comparison = descending ? '<' : '>'
  // A term whose counts per type are kept is not sought in the types where it has no match (one
  // test, before either part is read): a type's rows are most of the file.
  const matchesIn = (types: string) => skipTermlessTypes && column === 'type'
    ? [`EXISTS (SELECT 1 FROM ${TERM_COUNTS_TABLE} WHERE term = :term AND count > 0 AND type COLLATE "C" ${types})`]
    : []
  const sameKey = [...where, `${keyColumn} = ${key} AND u.id > :afterId`, ...matchesIn(`= ${key}`)]
  const pastKey = [...where, `${keyColumn} ${comparison} ${key}`, ...matchesIn(`${comparison} ${key}`)]
  return `SELECT * FROM (WITH first AS MATERIALIZED (SELECT ${columns}, 0 AS part FROM ${source} ` +
    `WHERE ${sameKey.join(' AND ')} ORDER BY u.id LIMIT ${partRows}) ` +
    `SELECT * FROM first UNION ALL (SELECT ${columns}, 1 AS part FROM ${source} WHERE ${pastKey.join(' AND ')} ` +
    `ORDER BY ${postgresOrderSql(orderBy)} LIMIT ${partRows} - (SELECT count(*) FROM first))) u ` +
    `ORDER BY u.part, ${postgresOrderSql(orderBy)} LIMIT ${rows}${skip}`
}

/** The username filter on the folded logins (FOLDED_LOGINS_TABLE as `u`) with the pattern `parameter`, as their trigram index answers it. */
export function foldedLoginsLike (parameter: string): string {
  return `u.folded LIKE ${parameter} ESCAPE '\\'`
}
const FOLDED_TERM_CANDIDATES = foldedLoginsLike(':usernamePattern')

/** What a term's sorted candidates carry: the keys of every order (the login folded or not: the orders fold it). */
const CANDIDATE_COLUMNS = 'u.id, u.username, u.type'

/** A term's matches as the CTE `ghusers_candidates`, and how a page by number sorts them (or reversed, from the end). */
interface Candidates { cte: string, sorted: (reversed: boolean) => string }

/**
 * A term's matches under all the filters, to be sorted: from a rare short term's listed ids (the
 * username filter then keeps the contract's exact semantics), or from the trigram candidates of the
 * folded logins (of users with an id filter: one primary-key lookup). Candidates read from users are
 * materialized: the order's LIMIT stays outside, so PostgreSQL cannot walk an order's index
 * instead, which reads every row before the first match when they gather far from its start. The
 * folded logins have no index in any order; a page by number sorts them by their position in it.
 */
function candidatesSql (access: 'listed' | 'trigrams', filters: FilterName[], orderBy: OrderBy): Candidates {
  const others = filters.filter((name) => name !== 'username').map((name) => FILTER_SQL[name])
  const fromUsers = (sql: string): Candidates => ({
    cte: `WITH ghusers_candidates AS MATERIALIZED (${sql})`,
    sorted: (reversed) => postgresOrderSql(orderBy, reversed)
  })
  if (access === 'listed') {
    return fromUsers(`SELECT ${CANDIDATE_COLUMNS} FROM ${TERM_IDS_TABLE} l JOIN users u ON u.id = l.id WHERE ${['l.term = :term', FILTER_SQL.username, ...others].join(' AND ')}`)
  }
  if (filters.includes('id')) return fromUsers(`SELECT ${CANDIDATE_COLUMNS} FROM users u WHERE ${[TERM_CANDIDATES, ...others].join(' AND ')}`)
  const idOrder = ORDER_KEYS[orderBy].column === null
  const rank = idOrder ? 'u.id' : `u.${foldedRankColumn(orderBy)}`
  const descending = idOrder && ORDER_KEYS[orderBy].descending
  return {
    cte: `WITH ghusers_candidates AS (SELECT u.id, u.folded AS username, u.type, ${rank} AS rank FROM ${FOLDED_LOGINS_TABLE} u ` +
      `WHERE ${[FOLDED_TERM_CANDIDATES, ...others].join(' AND ')})`,
    sorted: (reversed) => `u.rank ${descending === reversed ? 'ASC' : 'DESC'}`
  }
}

/**
 * A page near either end of a term's matches, or after a cursor, from the first WALKED_ROWS rows of
 * the order's index read from there, when they hold all its rows; otherwise from the statement
 * `sorted`, which PostgreSQL runs only then. A page by number knows its rows (:limit) from the total;
 * a cursor's page may end the list, when the walk reached its end.
 */
function boundedWalkSql (plan: Plan, sorted: string): string {
  const { start, filters, orderBy } = plan
  const others = filters.filter((name) => name !== 'username').map((name) => FILTER_SQL[name])
  const order = postgresOrderSql(orderBy, start === 'end')
  const after = start === 'after'
  const walked = after
    ? keysetRowsSql(orderBy, 'users u', COLUMNS, others, 'walk', termCountedByType(plan))
    : `SELECT ${COLUMNS} FROM users u ${others.length ? `WHERE ${others.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ${WALKED_ROWS}`
  const part = after ? 'u.part, ' : ''
  const found = `SELECT * FROM (${walked}) u WHERE ${FILTER_SQL.username} ORDER BY ${part}${order} LIMIT :limit OFFSET :offset`
  const complete = `(SELECT count(*) FROM ghusers_found) = :limit${after ? ` OR (SELECT count(*) FROM (${walked}) w) < ${WALKED_ROWS}` : ''}`
  return `WITH ghusers_found AS MATERIALIZED (${found}) SELECT CASE WHEN ${complete} ` +
    `THEN (${jsonArraySql(`${part}${postgresOrderSql(orderBy)}`)} FROM ghusers_found u) ELSE (${sorted}) END`
}

function resultsSql (plan: Plan, planned: boolean): string {
  const { access, start, filters, orderBy } = plan
  if (access === 'boundedWalk') return boundedWalkSql(plan, resultsSql({ ...plan, access: 'trigrams' }, planned))
  if (access === 'positions') {
    return `${jsonArraySql('p.rank')} FROM (SELECT rank, id FROM ${positionsTable(orderBy)} ` +
      'WHERE rank > :offset ORDER BY rank LIMIT :limit) p JOIN users u ON u.id = p.id'
  }
  if (access === 'typePositions') {
    return `${jsonArraySql('p.rank')} FROM (SELECT rank, id FROM ${typePositionsTable(orderWithinType(orderBy))} ` +
      'WHERE type = :type AND rank > :offset ORDER BY rank LIMIT :limit) p JOIN users u ON u.id = p.id'
  }
  const candidates = access === 'listed' || access === 'trigrams' ? candidatesSql(access, filters, orderBy) : undefined
  // A plan made without the term's total leaves PostgreSQL to choose how to find its matches.
  const filter = (name: FilterName) => name === 'username' && !planned ? TERM_CANDIDATES : FILTER_SQL[name]
  const where = candidates ? [] : filters.map(filter)
  const source = candidates ? 'ghusers_candidates u' : 'users u'
  const columns = candidates ? CANDIDATE_COLUMNS : COLUMNS
  // A page of candidates has their keys: its profiles are read from users, for its rows only.
  const profiles = (rows: string) => candidates
    ? `(${candidates.cte} ${rows}) p JOIN users u ON u.id = p.id`
    : `(${rows}) u`
  const page = candidates ? 'p' : 'u'
  const ordered = (rows: string) => `${jsonArraySql(`${page}.part, ${postgresOrderSql(orderBy)}`)} FROM ${profiles(rows)}`
  const skipTermlessTypes = termCountedByType(plan)
  if (start === 'after') return ordered(keysetRowsSql(orderBy, source, columns, where, 'page', skipTermlessTypes))
  // A type's marks are in the order within the type (its key is no type).
  if (start === 'mark') return ordered(keysetRowsSql(filters.includes('type') ? orderWithinType(orderBy) : orderBy, source, columns, where, 'skipping', skipTermlessTypes))
  const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : ''
  // Counted from the end, the page's rows are read in the reverse order; the aggregate puts them back.
  const sorted = candidates ? candidates.sorted(start === 'end') : postgresOrderSql(orderBy, start === 'end')
  return `${jsonArraySql(postgresOrderSql(orderBy))} FROM ${profiles(`SELECT ${columns} FROM ${source} ` +
    `${whereSql} ORDER BY ${sorted} LIMIT :limit OFFSET :offset`)}`
}

function totalSql ({ counting, derived, filters }: Plan): string {
  if (counting === 'known' || (counting === 'kept' && !filters.length)) return 'NULL::bigint'
  const keptTermCount = `(SELECT sum(count) FROM ${TERM_COUNTS_TABLE} WHERE term = :term${filters.includes('type') ? ' AND type = :type' : ''})`
  if (counting === 'kept' && filters.includes('username')) return `coalesce(${keptTermCount}, 0)::bigint`
  if (counting === 'kept') return 'coalesce((SELECT count FROM ghusers_type_counts WHERE type = :type), 0)'
  // While the derived data matches the data, a common longer term's count kept by the seed (longTerms.ts:
  // it has a row for every type, so none means it was not kept), else its matches counted from the
  // folded logins (an id filter: from users by primary key).
  if (derived && filters.includes('username') && !filters.includes('id')) {
    const where = filters.map((name) => name === 'username' ? FOLDED_TERM_CANDIDATES : FILTER_SQL[name])
    return `coalesce(${keptTermCount}, (SELECT count(*) FROM ${FOLDED_LOGINS_TABLE} u WHERE ${where.join(' AND ')}))::bigint`
  }
  const where = filters.map((name) => name === 'username' ? TERM_CANDIDATES : FILTER_SQL[name])
  return `(SELECT count(*) FROM users u ${where.length ? `WHERE ${where.join(' AND ')}` : ''})`
}

/**
 * The plan's statement. `planned`: the plan was made knowing the term's total and marks (a search's
 * page, read after its total), so its walks are walked; otherwise PostgreSQL may use the trigram index.
 */
export function pageSql (plan: Plan, planned: boolean): string {
  let results = resultsSql(plan, planned)
  if (plan.counting === 'kept' && plan.start === 'offset' && plan.filters.length) {
    // A page past the end of a list whose total is kept reads no rows (a scan would go through every match first).
    results = `SELECT CASE WHEN :offset < ${totalSql(plan)} THEN (${results}) ELSE '[]' END`
  }
  return `SELECT s.*, ${totalSql(plan)} AS total, (${results}) AS results FROM (${STATE_SQL}) s`
}

/** The marks of the term in the query's scope and order. */
const TERM_MARKS = `${TERM_MARKS_TABLE} WHERE scope = :scope AND order_by = :markOrder AND term = :term`

/**
 * The state, the filters' total, whether the seed listed the ids of the username term, and whether
 * it marked the term, with its last mark before the page (one seek of its primary key): read
 * first, to pick the page's access and start (profilesPlan.ts).
 */
export function totalFirstSql (plan: Plan, listable: boolean, markable: boolean): string {
  const listed = listable ? `EXISTS (SELECT 1 FROM ${TERM_IDS_TABLE} WHERE term = :term)` : 'false'
  if (!markable) {
    return `SELECT s.*, ${totalSql(plan)} AS total, ${listed} AS listed, false AS marked, NULL::bigint AS mark_matches_before, ` +
      `NULL::text AS mark_after_key, NULL::bigint AS mark_after_id FROM (${STATE_SQL}) s`
  }
  return `SELECT s.*, ${totalSql(plan)} AS total, ${listed} AS listed, EXISTS (SELECT 1 FROM ${TERM_MARKS_TABLE} WHERE ${TERM_MARKED} AND term = :term) AS marked, ` +
    'm.matches_before AS mark_matches_before, m.after_key AS mark_after_key, m.after_id AS mark_after_id ' +
    `FROM (${STATE_SQL}) s LEFT JOIN LATERAL (SELECT matches_before, after_key, after_id FROM ${TERM_MARKS} ` +
    'AND matches_before <= :offset ORDER BY matches_before DESC LIMIT 1) m ON true'
}

/** `sql` with its :names as $1, $2…, and the names in that order (casts, `::text`, left alone). */
export function numbered (sql: string): { text: string, names: string[] } {
  const names: string[] = []
  const text = sql.replace(/(?<!:):([a-zA-Z]+)/g, (_match, name: string) => {
    if (!names.includes(name)) names.push(name)
    return `$${names.indexOf(name) + 1}`
  })
  return { text, names }
}
