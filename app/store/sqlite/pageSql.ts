// The SQLite dialect of the page plan: one statement per plan, reading the file's metadata, the total
// and the page's rows as one JSON array, from one snapshot.
import type { OrderBy } from '../../schemas/profiles.js'
import {
  NAME_TRIGRAMS, orderSql, positionsTable, PROFILE_JSON_TABLE, profileJsonSql, TERM_COUNTS_TABLE, TERM_IDS_TABLE, TYPE_ID_TRIGRAMS,
  TYPE_NAME_TRIGRAMS, typePositionsTable, USERNAME_TRIGRAMS
} from '../derivedData.js'
import { ORDER_KEYS, orderWithinType, REVERSED_TYPE_RANGES, termCountedByType, type FilterName, type Plan, type Start, type Trigrams } from '../profilesPlan.js'
import type { ProfileFilters } from '../profilesSource.js'
import { TERM_MARKED, TERM_MARKS_TABLE } from '../termMarks.js'

// SQLite (built with STAT4, as better-sqlite3 is) compiles a statement again on every run when
// its plan looked at a bound value: a bare parameter in LIMIT or as a LIKE pattern. Written as
// expressions, `(@limit + 0)` and `(@usernamePattern || '')`, they are opaque to the planner and
// the prepared statement is reused as it is.
export const LIMIT = 'LIMIT (@limit + 0)'

export const FILTER_SQL: Record<FilterName, string> = {
  username: "u.username LIKE (@usernamePattern || '') ESCAPE '\\'",
  id: 'u.id = @id',
  type: 'u.type = @type'
}

export const COLUMNS = 'u.id, u.username, u.avatar_url, u.type, u.url'
/** The trigram index answers terms of at least this many characters. */
export const TRIGRAM_LENGTH = 3
/** FTS5 yields the trigram index's candidates by rowid: the id. */
export const TRIGRAMS: Trigrams = { length: TRIGRAM_LENGTH, idOrdered: true }
// Candidates from the trigram index; LIKE then keeps the contract's exact semantics.
const TRIGRAM_SOURCE = `${USERNAME_TRIGRAMS} t JOIN users u ON u.id = t.rowid`
const TRIGRAM_MATCH = `t.${USERNAME_TRIGRAMS} MATCH @trigramQuery`
// A rare short term's listed ids; LIKE then keeps the contract's exact semantics. CROSS JOIN keeps
// the list outside (SQLite's own choice may walk a type's index in the order and look each row up in the list).
const LISTED_SOURCE = `${TERM_IDS_TABLE} l CROSS JOIN users u ON u.id = l.id`
const LISTED_MATCH = 'l.term = @term'
/** Each access's rows, its filter on them, and its id column (yielded in ascending order, so the id orders need no sort). */
const SOURCES = {
  trigrams: { source: TRIGRAM_SOURCE, match: TRIGRAM_MATCH, idColumn: 't.rowid' },
  listed: { source: LISTED_SOURCE, match: LISTED_MATCH, idColumn: 'l.id' },
  scan: { source: 'users u', match: undefined, idColumn: 'u.id' }
} as const

/** A LIKE pattern matching `term` anywhere, with %, _ and \ matching themselves. */
export function containsPattern (term: string): string {
  return `%${term.replace(/[\\%_]/g, (char) => `\\${char}`)}%`
}

/** The values FILTER_SQL's fragments bind, for the filters `filters` sets. */
export function filterValues (filters: ProfileFilters): Record<string, unknown> {
  const values: Record<string, unknown> = {}
  if (filters.username !== undefined) values.usernamePattern = containsPattern(filters.username)
  if (filters.id !== undefined) values.id = filters.id
  if (filters.type !== undefined) values.type = filters.type
  return values
}

/** An FTS5 query for `term` as one literal phrase. */
export function trigramPhrase (term: string): string {
  return `"${term.replaceAll('"', '""')}"`
}

/** The order's column as it sorts (usernames case-insensitively, as their index does). */
const KEY_COLUMN = { username: 'u.username COLLATE NOCASE', type: 'u.type' } as const

/** Values of ghusers_meta as columns of one row (each a lookup of its primary key), named by their keys. */
export function metaColumns (keys: readonly string[]): string {
  return keys.map((key) => `(SELECT value FROM ghusers_meta WHERE key = '${key}') AS ${key}`).join(', ')
}

export const META_KEYS = ['file_id', 'data_version', 'derived_version', 'total_count'] as const
/** The file's metadata as columns of one row. */
export const META_COLUMNS = metaColumns(META_KEYS)

/** A JSON array of the kept profile texts `json` yields over `from`, in its rows' order ('[]' for none). */
function keptJsonArraySql (json: string, from: string): string {
  return `SELECT '[' || coalesce(group_concat(${json}, ','), '') || ']' FROM ${from}`
}

/**
 * An unfiltered page by position, as a JSON array of the profiles' kept JSON. The rows subquery
 * has ORDER BY and LIMIT, so SQLite runs it as a co-routine whose rows the aggregate takes in
 * order (the contract-model tests check every order).
 */
function positionsResultsSql (orderBy: OrderBy): string {
  let rows: string
  if (orderBy === 'id' || orderBy === '-id') {
    // id order is the table's own (rowid) order: find the page's first id by position, then read on.
    const comparison = orderBy === 'id' ? '>=' : '<='
    rows = `SELECT j.json FROM ${PROFILE_JSON_TABLE} j WHERE j.id ${comparison} ` +
      `(SELECT id FROM ${positionsTable(orderBy)} WHERE rank = @offset + 1) ORDER BY ${orderSql(orderBy, 'j')} ${LIMIT}`
  } else {
    rows = `SELECT j.json FROM ${positionsTable(orderBy)} p JOIN ${PROFILE_JSON_TABLE} j ON j.id = p.id ` +
      `WHERE p.rank > @offset ORDER BY p.rank ${LIMIT}`
  }
  return keptJsonArraySql('json', `(${rows})`)
}

/** One type's page by its position within the type. */
function typePositionsResultsSql (orderBy: OrderBy): string {
  const rows = `SELECT j.json FROM ${typePositionsTable(orderWithinType(orderBy))} p JOIN ${PROFILE_JSON_TABLE} j ON j.id = p.id ` +
    `WHERE p.type = @type AND p.rank > @offset ORDER BY p.rank ${LIMIT}`
  return keptJsonArraySql('json', `(${rows})`)
}

/**
 * What a keyset read yields: a cursor's page (its rows); the ids of a marked page, after skipping
 * the first @offset rows past the mark; or the id of the first row alone.
 */
type KeysetRead = 'page' | 'skipping' | 'first'

/**
 * The rows after a cursor's (key, id), as a subquery over `source`: in the id orders one range of
 * ids; otherwise the rest of the key's rows (by id), then the rows past the key (by key, id),
 * each a range of an index in that exact order, so no row before the cursor is read.
 */
function keysetRowsSql (orderBy: OrderBy, source: string, idColumn: string, where: string[], read: KeysetRead, skipTermlessTypes: boolean): string {
  const { column, descending } = ORDER_KEYS[orderBy]
  // Ids read yield only the id and the order's key (a page's profiles come from the kept JSON).
  const idsOnly = read !== 'page'
  const columns = idsOnly ? `${idColumn} AS id${column ? `, u.${column}` : ''}` : COLUMNS
  const outer = idsOnly ? 'id' : 'id, username, avatar_url, type, url'
  const limit = read === 'first' ? 'LIMIT 1' : LIMIT
  const partRows = read === 'skipping' ? '@limit + @offset' : read === 'first' ? '1' : '@limit + 0'
  const skip = read === 'skipping' ? ' OFFSET @offset' : ''
  const whereSql = (more: string) => [...where, more].join(' AND ')
  if (column === null) {
    const comparison = descending ? '<' : '>'
    return `SELECT ${columns} FROM ${source} WHERE ${whereSql(`${idColumn} ${comparison} @afterId`)} ` +
      `ORDER BY ${idColumn} ${descending ? 'DESC' : 'ASC'} ${limit}${skip}`
  }
  const key = KEY_COLUMN[column]
  const comparison = descending ? '<' : '>'
  // A term whose counts per type are kept is not sought in the types where it has no match: the
  // part asks for no rows, and a LIMIT of 0 ends it before its first step (a type's rows are most of
  // the file). Types stored as other than text (by another tool) sort apart from their counts' text:
  // then every type is sought.
  const partLimit = (types: string) => skipTermlessTypes && column === 'type'
    ? 'LIMIT (CASE WHEN EXISTS (SELECT 1 FROM ghusers_type_counts WHERE typeof(type) <> \'text\') OR ' +
      `EXISTS (SELECT 1 FROM ${TERM_COUNTS_TABLE} WHERE term = @term AND count > 0 AND type ${types}) THEN ${partRows} ELSE 0 END)`
    : `LIMIT (${partRows})`
  const sameKey = `SELECT ${columns} FROM ${source} WHERE ${whereSql(`${key} = @afterKey AND ${idColumn} > @afterId`)} ` +
    `ORDER BY ${idColumn} ${partLimit('= @afterKey')}`
  const pastKey = `SELECT ${columns} FROM ${source} WHERE ${whereSql(`${key} ${comparison} @afterKey`)} ` +
    `ORDER BY ${orderSql(orderBy, 'u')} ${partLimit(`${comparison} @afterKey`)}`
  // The two parts come in order, each from its own co-routine (the contract-model tests check every
  // order): no sort, so the second part is read only for the rows the first lacks (a type's rest
  // can be most of the file).
  return `SELECT ${outer} FROM (SELECT * FROM (${sameKey}) UNION ALL SELECT * FROM (${pastKey})) k ${limit}${skip}`
}

/** Each type's positions in the type order: the `count` past the rows (`before`) of the types before it. */
export const TYPE_RANGES = 'SELECT type, count, sum(count) OVER (ORDER BY type) - count AS before FROM ghusers_type_counts'
/** The type filter's positions: past TYPE_RANGE, up to TYPE_RANGE_END (none where it has no rows). */
const TYPE_RANGE = `(SELECT before FROM (${TYPE_RANGES}) WHERE type = @type)`
const TYPE_RANGE_END = `(SELECT before + count FROM (${TYPE_RANGES}) WHERE type = @type)`
/** A phrase index's positions (its rowids, `x.rowid`) within the type filter's range. */
const IN_TYPE_RANGE = `x.rowid > ${TYPE_RANGE} AND x.rowid <= ${TYPE_RANGE_END}`

/**
 * The phrase index holding a term's matches in `order` (of the whole list, or within the type
 * filter): how a position found there (`e.rank`) leads to its id (none: the position is the id),
 * and a row's position there, by its id.
 */
interface PhraseIndex { table: string, positions?: string, positionOf: (id: string) => string }

function phraseIndex (order: OrderBy, typed: boolean): PhraseIndex {
  const { column } = ORDER_KEYS[order]
  const rankOf = (table: string) => (id: string) => `(SELECT rank FROM ${table} WHERE id = ${id})`
  if (typed && column === 'username') {
    const table = typePositionsTable('username')
    return {
      table: TYPE_NAME_TRIGRAMS,
      positions: `${table} p ON p.type = @type AND p.rank = e.rank - ${TYPE_RANGE}`,
      positionOf: (id) => `(${rankOf(table)(id)} + ${TYPE_RANGE})`
    }
  }
  if (typed || column === 'type') {
    return { table: TYPE_ID_TRIGRAMS, positions: `${positionsTable('type')} p ON p.rank = e.rank`, positionOf: rankOf(positionsTable('type')) }
  }
  if (column === 'username') {
    return { table: NAME_TRIGRAMS, positions: `${positionsTable('username')} p ON p.rank = e.rank`, positionOf: rankOf(positionsTable('username')) }
  }
  return { table: USERNAME_TRIGRAMS, positionOf: (id) => id }
}

/**
 * The id of the first row after a cursor in `order` (within the type filter, if typed), whether
 * or not it holds the term: two seeks of an index in that order, as a cursor's page reads.
 */
function firstAfterCursorSql (order: OrderBy, typed: boolean): string {
  return `(${keysetRowsSql(order, 'users u', 'u.id', typed ? [FILTER_SQL.type] : [], 'first', false)})`
}

/** Whether a page starts after a row's (key, id): a cursor's, or a term's mark's. */
function fromPosition (start: Start): boolean {
  return start === 'after' || start === 'mark'
}

/** Each type's positions in the type order, in the descending order of types (LIMIT keeps the ORDER BY of a subquery). */
const TYPE_RANGES_DESCENDING = `SELECT type, before, count FROM (${TYPE_RANGES}) ORDER BY type DESC LIMIT -1`

/**
 * The whole list's matches in the -type order from its start: the type-ordered index, one type's
 * range after another (the join yields each range's matches in turn), so only the page's rows are
 * sorted. After a cursor or a mark, from the position of the first row after it: the rest of its
 * type's range, then the ranges below.
 */
function descendingTypePhraseRowsSql (start: Start): string {
  // The first row's position, read once (f.first); one bound each way (FTS5 seeks by one): the
  // first row's range starts at it, the ranges past it not at all.
  const first = fromPosition(start)
    ? ` CROSS JOIN (SELECT (SELECT rank FROM ${positionsTable('type')} WHERE id = ${firstAfterCursorSql('-type', false)}) AS first) f`
    : ''
  const above = first ? 'CASE WHEN r.before + r.count >= f.first THEN f.first - 1 ELSE r.before END' : 'r.before'
  const pastFirst = first ? 'r.before < f.first AND ' : ''
  // FTS5 yields a range's matches in ascending rowid order when no ORDER BY asks otherwise.
  const matches = `SELECT r.type, x.rowid AS rank FROM (${TYPE_RANGES_DESCENDING}) r${first} CROSS JOIN ${TYPE_ID_TRIGRAMS} x ` +
    `ON ${pastFirst}x.${TYPE_ID_TRIGRAMS} MATCH @trigramQuery AND x.rowid > ${above} AND x.rowid <= r.before + r.count ${LIMIT} OFFSET @offset`
  return `SELECT p.id FROM (${matches}) e CROSS JOIN ${positionsTable('type')} p ON p.rank = e.rank ORDER BY e.type DESC, e.rank ${LIMIT}`
}

/**
 * The whole list's matches in the -type order counted from its end: each type's range of the
 * type-ordered index read backwards, the lowest type first, each its own co-routine that skips
 * inside the index; then the page put back in order. A range skips what the ranges below it did
 * not, counted when the read reaches it (a range that does not exist is empty).
 */
function descendingTypePhraseFromEndSql (): string {
  const nth = (index: number, column: string) => `coalesce((SELECT ${column} FROM (${TYPE_RANGES}) ORDER BY type LIMIT 1 OFFSET ${index}), 0)`
  const matches = Array.from({ length: REVERSED_TYPE_RANGES }, (_, index) => {
    const below = nth(index, 'before')
    const skip = index === 0
      ? '@offset'
      : `max(0, @offset - (SELECT count(*) FROM ${TYPE_ID_TRIGRAMS} x WHERE x.${TYPE_ID_TRIGRAMS} MATCH @trigramQuery AND x.rowid <= ${below}))`
    return `SELECT * FROM (SELECT ${index} AS part, x.rowid AS rank FROM ${TYPE_ID_TRIGRAMS} x WHERE x.${TYPE_ID_TRIGRAMS} MATCH @trigramQuery ` +
      `AND x.rowid > ${below} AND x.rowid <= ${nth(index, 'before + count')} ORDER BY x.rowid DESC ${LIMIT} OFFSET ${skip})`
  })
  return `SELECT p.id FROM (SELECT * FROM (${matches.join(' UNION ALL ')}) ${LIMIT}) e ` +
    `CROSS JOIN ${positionsTable('type')} p ON p.rank = e.rank ORDER BY e.part DESC, e.rank`
}

/**
 * A page of a term's matches from a trigram phrase index alone, as ids, with no row read per
 * skipped match. From the end, it is read backwards and put back in order; after a cursor or a
 * mark, it starts at the position of the first row after that row.
 */
function phraseRowsSql ({ start, orderBy, filters }: Plan): string {
  const typed = filters.includes('type')
  if (!typed && orderBy === '-type') return start === 'end' ? descendingTypePhraseFromEndSql() : descendingTypePhraseRowsSql(start)
  const order = typed ? orderWithinType(orderBy) : orderBy
  const { descending } = ORDER_KEYS[order]
  const direction = (reversed: boolean) => descending === reversed ? 'ASC' : 'DESC'
  const { table, positions, positionOf } = phraseIndex(order, typed)
  // The positions read: the type's range, from the first row after a cursor or mark; one bound
  // each way (FTS5 seeks by one).
  let above = typed ? TYPE_RANGE : undefined
  let atMost = typed ? TYPE_RANGE_END : undefined
  if (fromPosition(start)) {
    const first = positionOf(firstAfterCursorSql(order, typed))
    if (descending) atMost = atMost ? `min(${atMost}, ${first})` : first
    else above = above ? `max(${above}, ${first} - 1)` : `${first} - 1`
  }
  const bounds = (above ? ` AND x.rowid > ${above}` : '') + (atMost ? ` AND x.rowid <= ${atMost}` : '')
  const matches = `SELECT x.rowid AS rank FROM ${table} x WHERE x.${table} MATCH @trigramQuery${bounds} ` +
    `ORDER BY x.rowid ${direction(start === 'end')} ${LIMIT} OFFSET @offset`
  if (!positions) return `SELECT rank AS id FROM (${matches}) e ORDER BY e.rank ${direction(false)} ${LIMIT}`
  return `SELECT p.id FROM (${matches}) e JOIN ${positions} ORDER BY e.rank ${direction(false)} ${LIMIT}`
}

/** The rows of a filtered page (or of any page without derived data, or after a cursor), as a subquery. */
function rowsSql (plan: Plan): string {
  if (plan.access === 'phrase') return phraseRowsSql(plan)
  const { access, start, filters, orderBy } = plan
  const where = filters.map((name) => FILTER_SQL[name])
  const { source, match, idColumn } = SOURCES[access === 'trigrams' || access === 'listed' ? access : 'scan']
  if (match) where.unshift(match)
  const skipTermlessTypes = termCountedByType(plan)
  if (start === 'after') return keysetRowsSql(orderBy, source, idColumn, where, 'page', skipTermlessTypes)
  // A type's marks are in the order within the type (its key is no type).
  if (start === 'mark') return keysetRowsSql(filters.includes('type') ? orderWithinType(orderBy) : orderBy, source, idColumn, where, 'skipping', skipTermlessTypes)
  const { column, descending } = ORDER_KEYS[orderBy]
  const order = (reversed: boolean) => column === null
    ? `${idColumn} ${descending === reversed ? 'ASC' : 'DESC'}`
    : orderSql(orderBy, 'u', reversed)
  const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : ''
  if (start === 'offset') return `SELECT ${COLUMNS} FROM ${source} ${whereSql} ORDER BY ${order(false)} ${LIMIT} OFFSET @offset`
  // Counted from the end: the page's rows in the reverse order, then put back in order (LIMIT keeps the subquery's order for the aggregate).
  return `SELECT * FROM (SELECT ${COLUMNS} FROM ${source} ${whereSql} ORDER BY ${order(true)} ${LIMIT} OFFSET @offset) e ` +
    `ORDER BY ${orderSql(orderBy, 'e')} ${LIMIT}`
}

/**
 * With every login ASCII (the seed counts the others) and an ASCII term, a trigram phrase matches
 * exactly the logins LIKE does (both fold ASCII case only there).
 */
export const PHRASE_IS_EXACT = "@asciiTerm AND (SELECT value FROM ghusers_meta WHERE key = 'non_ascii_logins') = 0"

/** The seed's count of the username term (of the type filter's type, if any); NULL where it kept none. */
function keptTermCountSql (filters: FilterName[]): string {
  return `(SELECT sum(count) FROM ${TERM_COUNTS_TABLE} WHERE term = @term${filters.includes('type') ? ' AND type = @type' : ''})`
}

/**
 * Logins holding a term of three or more characters (of one type, if filtered): a common longer
 * term's count kept by the seed (longTerms.ts: it has a row for every type, so none means it was not
 * kept); else counted from a phrase index alone where it is exact; otherwise each trigram candidate
 * is read and compared.
 */
function trigramCountSql (filters: FilterName[]): string {
  const where = filters.map((name) => FILTER_SQL[name])
  const compared = `(SELECT count(*) FROM ${TRIGRAM_SOURCE} WHERE ${[TRIGRAM_MATCH, ...where].join(' AND ')})`
  if (filters.includes('id')) return compared
  const exact = filters.includes('type')
    ? `(SELECT count(*) FROM ${TYPE_ID_TRIGRAMS} x WHERE x.${TYPE_ID_TRIGRAMS} MATCH @trigramQuery AND ${IN_TYPE_RANGE})`
    : `(SELECT count(*) FROM ${USERNAME_TRIGRAMS} t WHERE ${TRIGRAM_MATCH})`
  return `coalesce(${keptTermCountSql(filters)}, CASE WHEN ${PHRASE_IS_EXACT} THEN ${exact} ELSE ${compared} END)`
}

function totalSql ({ access, counting, filters }: Plan): string {
  if (counting === 'known') return 'NULL'
  if (counting === 'kept') {
    // Unfiltered: the meta's total_count, read with the rest of the meta.
    if (!filters.length) return 'NULL'
    if (filters.includes('username')) {
      return `coalesce(${keptTermCountSql(filters)}, 0)`
    }
    return 'coalesce((SELECT count FROM ghusers_type_counts WHERE type = @type), 0)'
  }
  if (access === 'trigrams') return trigramCountSql(filters)
  const where = filters.map((name) => FILTER_SQL[name])
  return `(SELECT count(*) FROM users u${where.length ? ` WHERE ${where.join(' AND ')}` : ''})`
}

/**
 * One statement per page: the data version, whether the derived data matches it, the total and
 * the rows as a JSON array. One statement is one read transaction, so all of it comes from one
 * snapshot, even while a seed commits; and SQLite assembles the JSON (from the profiles' kept
 * JSON while the derived data is current), which costs far less than handing each value to
 * JavaScript and serialising it there.
 */
export function pageSql (plan: Plan): string {
  // Rows come to the aggregates in their subquery's order; an ORDER BY inside json_group_array would sort
  // them again in a temporary B-tree.
  let results: string
  if (plan.access === 'positions') {
    results = positionsResultsSql(plan.orderBy)
  } else if (plan.access === 'typePositions') {
    results = typePositionsResultsSql(plan.orderBy)
  } else if (plan.derived) {
    // A lookup per row, not a join: the aggregate must take the rows in their subquery's order.
    const json = `(SELECT json FROM ${PROFILE_JSON_TABLE} WHERE id = r.id)`
    results = keptJsonArraySql(json, `(${rowsSql(plan)}) r`)
  } else {
    results = `SELECT json_group_array(${profileJsonSql('r')}) FROM (${rowsSql(plan)}) r`
  }
  if (plan.counting === 'kept' && plan.start === 'offset' && plan.filters.length) {
    // A page past the end of a list whose total is kept reads no rows (a scan would go through every match first).
    results = `CASE WHEN @offset < ${totalSql(plan)} THEN (${results}) ELSE '[]' END`
  }
  return `SELECT ${META_COLUMNS}, ${totalSql(plan)} AS total, (${results}) AS results`
}

/** The marks of the term in the query's scope and order. */
const TERM_MARKS = `${TERM_MARKS_TABLE} WHERE scope = @scope AND order_by = @markOrder AND term = @term`
/**
 * The term's last mark before the page's first row: one seek, as a term's counts at its marks are
 * distinct and in its primary key.
 */
const LAST_MARK = `(SELECT matches_before, after_key, after_id FROM ${TERM_MARKS} AND matches_before <= @offset ` +
  'ORDER BY matches_before DESC LIMIT 1)'

/**
 * The metadata, the filters' total, whether the seed listed the ids of the username term, whether
 * it marked the term (with its last mark before the page), and what the phrase indexes can answer
 * exactly: read first, in the page's read transaction, to pick the page's access and start (profilesPlan.ts).
 */
export function totalFirstSql (plan: Plan, listable: boolean, markable: boolean): string {
  const listed = listable ? `EXISTS (SELECT 1 FROM ${TERM_IDS_TABLE} WHERE term = @term)` : '0'
  const marks = markable
    ? `EXISTS (SELECT 1 FROM ${TERM_MARKS_TABLE} WHERE ${TERM_MARKED} AND term = @term) AS marked, m.matches_before AS mark_matches_before, m.after_key AS mark_after_key, ` +
      'm.after_id AS mark_after_id'
    : '0 AS marked, NULL AS mark_matches_before, NULL AS mark_after_key, NULL AS mark_after_id'
  const phrase = `${metaColumns(['non_ascii_logins', 'username_twins'])}, (SELECT count(*) FROM ghusers_type_counts) AS type_ranges`
  const lastMark = markable ? ` FROM (SELECT 1) LEFT JOIN ${LAST_MARK} m ON 1` : ''
  return `SELECT ${META_COLUMNS}, ${totalSql(plan)} AS total, ${listed} AS listed, ${marks}, ${phrase}${lastMark}`
}
