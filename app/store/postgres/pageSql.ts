// The PostgreSQL dialect of the page plan: one statement per plan, reading the state, the total and
// the page's rows as one JSON array, from one snapshot.
import type { OrderBy } from '../../schemas/profiles.js'
import { positionsTable, TERM_COUNTS_TABLE, typePositionsTable } from '../derivedData.js'
import { ORDER_KEYS, orderWithinType, type FilterName, type Plan } from '../profilesPlan.js'
import { FOLDED_USERNAME, postgresOrderSql, PROFILE_TYPE, STATE_SQL } from './schema.js'

const FILTER_SQL: Record<FilterName, string> = {
  username: `${FOLDED_USERNAME} LIKE :usernamePattern ESCAPE '\\'`,
  id: 'u.id = :id',
  // Compared as the type indexes hold it, so that they answer the filter.
  type: 'u.type COLLATE "C" = :type'
}

export const COLUMNS = 'u.id, u.username, u.avatar_url, u.type, u.url'

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
 * The rows after a cursor's (key, id), with `part` before the order: in the id orders one range of
 * ids; otherwise the rest of the key's rows (by id), then the rows past the key (by key, id), each
 * a range of an index in that exact order, so no row before the cursor is read.
 */
function keysetRowsSql (orderBy: OrderBy, where: string[]): string {
  const { column, descending } = ORDER_KEYS[orderBy]
  const whereSql = (more: string) => [...where, more].join(' AND ')
  if (column === null) {
    return `SELECT ${COLUMNS}, 0 AS part FROM users u WHERE ${whereSql(`u.id ${descending ? '<' : '>'} :afterId`)} ` +
      `ORDER BY ${postgresOrderSql(orderBy)} LIMIT :limit`
  }
  const { column: keyColumn, key } = KEY_COLUMN[column]
  return `SELECT * FROM ((SELECT ${COLUMNS}, 0 AS part FROM users u WHERE ${whereSql(`${keyColumn} = ${key} AND u.id > :afterId`)} ` +
    'ORDER BY u.id LIMIT :limit) UNION ALL ' +
    `(SELECT ${COLUMNS}, 1 AS part FROM users u WHERE ${whereSql(`${keyColumn} ${descending ? '<' : '>'} ${key}`)} ` +
    `ORDER BY ${postgresOrderSql(orderBy)} LIMIT :limit)) u ORDER BY u.part, ${postgresOrderSql(orderBy)} LIMIT :limit`
}

function resultsSql ({ access, start, filters, orderBy }: Plan): string {
  if (access === 'positions') {
    return `${jsonArraySql('p.rank')} FROM (SELECT rank, id FROM ${positionsTable(orderBy)} ` +
      'WHERE rank > :offset ORDER BY rank LIMIT :limit) p JOIN users u ON u.id = p.id'
  }
  if (access === 'typePositions') {
    return `${jsonArraySql('p.rank')} FROM (SELECT rank, id FROM ${typePositionsTable(orderWithinType(orderBy))} ` +
      'WHERE type = :type AND rank > :offset ORDER BY rank LIMIT :limit) p JOIN users u ON u.id = p.id'
  }
  const where = filters.map((name) => FILTER_SQL[name])
  if (start === 'after') return `${jsonArraySql(`u.part, ${postgresOrderSql(orderBy)}`)} FROM (${keysetRowsSql(orderBy, where)}) u`
  const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : ''
  return `${jsonArraySql(postgresOrderSql(orderBy))} FROM (SELECT ${COLUMNS} FROM users u ` +
    `${whereSql} ORDER BY ${postgresOrderSql(orderBy)} LIMIT :limit OFFSET :offset) u`
}

function totalSql ({ counting, filters }: Plan): string {
  if (counting === 'known' || (counting === 'kept' && !filters.length)) return 'NULL::bigint'
  if (counting === 'kept' && filters.includes('username')) {
    const type = filters.includes('type') ? ' AND type = :type' : ''
    return `coalesce((SELECT sum(count) FROM ${TERM_COUNTS_TABLE} WHERE term = :term${type}), 0)::bigint`
  }
  if (counting === 'kept') return 'coalesce((SELECT count FROM ghusers_type_counts WHERE type = :type), 0)'
  const where = filters.map((name) => FILTER_SQL[name])
  return `(SELECT count(*) FROM users u ${where.length ? `WHERE ${where.join(' AND ')}` : ''})`
}

export function pageSql (plan: Plan): string {
  let results = resultsSql(plan)
  if (plan.counting === 'kept' && plan.start === 'offset' && plan.filters.length) {
    // A page past the end of a list whose total is kept reads no rows (a scan would go through every match first).
    results = `SELECT CASE WHEN :offset < ${totalSql(plan)} THEN (${results}) ELSE '[]' END`
  }
  return `SELECT s.*, ${totalSql(plan)} AS total, (${results}) AS results FROM (${STATE_SQL}) s`
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
