// The one query planner of both engines: which filters, which access path, how the total is known;
// a dialect (sqlite/pageSql.ts, postgres/pageSql.ts) says it in its own SQL.
import { hash } from 'node:crypto'
import { PROFILE_TYPES, type OrderBy, type ProfilesQuery } from '../schemas/profiles.js'

export const FILTER_NAMES = ['username', 'id', 'type'] as const
export type FilterName = typeof FILTER_NAMES[number]

/**
 * The row a cursor names: its id and, for the username and type orders, its value of the order's
 * column; and for a search, where known, its rank in the list at a data version.
 */
export interface RowPosition { key: string | null, id: number, rankAt?: RankAt }

/**
 * How many of a list's rows come up to and including a row, at the data version `versionTag` names:
 * at that version, a cursor's page knows from the total how many rows are left after it, so its
 * walk stops at the list's last row instead of reading on to the index's end.
 */
export interface RankAt { rank: number, versionTag: string }

/** A short tag of a data version (8 bytes of its SHA-256, as hex), for a cursor to carry. */
export function versionTag (dataVersion: string): string {
  return hash('sha256', dataVersion, 'hex').slice(0, 16)
}

/**
 * The rows of the list before the page, where known at this data version: a page by number's
 * offset, or the rank of a cursor ranked at this version.
 */
export function rowsBefore (query: PageQuery, dataVersion: string): number | undefined {
  if (!query.after) return pageOffset(query)
  const { rankAt } = query.after
  return rankAt?.versionTag === versionTag(dataVersion) ? rankAt.rank : undefined
}

/** A page asked for: the query's filters and order, and either a page number or the row it starts after. */
export type PageQuery = Omit<ProfilesQuery, 'after'> & { after?: RowPosition }

/**
 * Where a page's rows come from:
 * - positions: the whole list by precomputed position in its order (flat at any depth);
 * - typePositions: one type's list by its precomputed position in that type (flat at any depth);
 * - listed: the seed's list of the ids holding a rare short username term, then the exact filter;
 * - trigrams: candidates from the username trigram index, then the exact filter;
 * - boundedWalk: a page near either end of a term's matches, or after a cursor, sought among the first
 *   WALKED_ROWS rows of the order's index from there; where they do not hold it all, the trigram candidates sorted;
 * - phrase: a term's matches, of the whole list or of one type, from a phrase index alone in the
 *   order's own (id, username or type) order, where the index matches exactly the logins the filter does;
 * - scan: an index in the order, with the filters.
 */
export type Access = 'positions' | 'typePositions' | 'listed' | 'trigrams' | 'boundedWalk' | 'phrase' | 'scan'
/**
 * Where the page starts: after OFFSET rows (a page number); counted from the list's end, read in the
 * reverse order (a page past the middle of a list whose total is known: a late page costs as an
 * early one); after a cursor's (key, id) (keyset: no rows skipped one by one); or after the last
 * mark of a common term before the page (termMarks.ts), skipping less than a block's rows.
 */
export type Start = 'offset' | 'end' | 'after' | 'mark'
/** How its total is known: counts kept by the seed, a count in the same statement, or a total the caller knows. */
export type Counting = 'kept' | 'count' | 'known'

export interface Plan {
  access: Access
  start: Start
  counting: Counting
  /** Whether the plan reads derived data (positions, kept counts and JSON, trigrams): valid only while it matches the data version. */
  derived: boolean
  filters: FilterName[]
  orderBy: OrderBy
}

/** What an order sorts by before the id tie-break: its column (none for id) and direction. */
export interface OrderKey { column: 'username' | 'type' | null, descending: boolean }

export const ORDER_KEYS: Record<OrderBy, OrderKey> = {
  id: { column: null, descending: false },
  '-id': { column: null, descending: true },
  username: { column: 'username', descending: false },
  '-username': { column: 'username', descending: true },
  type: { column: 'type', descending: false },
  '-type': { column: 'type', descending: true }
}

/**
 * Within one type, the type orders are the id order (ties break by id ascending): one type's
 * positions are kept for these orders only.
 */
export function orderWithinType (orderBy: OrderBy): OrderBy {
  return orderBy === 'type' || orderBy === '-type' ? 'id' : orderBy
}
export const TYPE_POSITION_ORDERS: OrderBy[] = ['id', '-id', 'username', '-username']

/** Username terms up to this many characters have counts kept by the seed (tens of thousands of distinct terms, per type). */
export const KEPT_TERM_LENGTH = 3
/** The ids holding a rare term up to this many characters are listed by the seed (no trigram finds them). */
export const LISTED_TERM_LENGTH = 2
/** A short term with at most this many matches is read from the seed's list of them; a commoner one by walking the order's index. */
export const RARE_TERM_MATCHES = 5000
/**
 * Where the candidates come in id order (SQLite's FTS5), a longer term with at most this many
 * matches (under the page's filters) is read from its trigram candidates, sorted (each candidate
 * costs a row read); a commoner one by walking the order's index, where a page needs few rows per
 * match unless the matches cluster far from the order's start; in the id orders, the first
 * candidates are taken instead. Where they come in no order (pg_trgm), see `sortsAll` in planPage.
 */
export const SORTED_TERM_MATCHES = 20_000
/** The rows a bounded walk reads before it gives up for the sorted candidates (a few milliseconds of rows). */
export const WALKED_ROWS = 10_000

/** A username term as SQLite's LIKE and NOCASE compare it: ASCII letters folded to lower case, nothing else. */
export function foldTerm (term: string): string {
  return term.replace(/[A-Z]/g, (char) => char.toLowerCase())
}

/** Whether the filters' total is kept by the seed: none, one type, a short username term, or those two. */
function totalIsKept (query: PageQuery, filters: FilterName[]): boolean {
  if (filters.includes('id')) return false
  return query.username === undefined || [...query.username].length <= KEPT_TERM_LENGTH
}

export interface Trigrams { length: number, idOrdered: boolean }

export interface PlanOptions {
  /** The derived data matched the data version when last seen: plans may rely on it. */
  derived: boolean
  /** The caller knows the total for these filters at some data version. */
  totalKnown: boolean
  /**
   * The dialect's trigram access, if it has one: the shortest username term it answers, and whether
   * it yields the candidates in id order (then an id order takes a page of them without sorting them all).
   */
  trigrams: Trigrams | undefined
  /** The filters' total in the snapshot the page is read from, read first: it picks the access and the start. */
  total?: number
  /**
   * The rows of the whole list in that snapshot: with the total, how densely a walk meets the
   * matches (a type's walk meets them more densely than this says: the estimate errs towards sorting).
   */
  listRows?: number
  /** The seed listed the ids holding the username term (a rare short one). */
  listed?: boolean
  /**
   * The seed marked the username term, a common one (termMarks.ts, TERM_MARKED); `mark` is its last mark
   * before the page in the query's scope and order, if it has one there (a small type has none).
   */
  marked?: boolean
  mark?: Mark
  /**
   * The dialect's phrase index matches exactly the logins the term's filter does; whether its
   * username order read backwards is the descending username order (no logins equal but for case);
   * and how many types the file holds (ranges of its type-ordered phrase index).
   */
  phrase?: { exact: boolean, namesReversible: boolean, typeRanges: number }
}

/** A common term's mark: how many of its matches there are up to and including the row at `position`. */
export interface Mark { position: RowPosition, matchesBefore: number }

/** The whole list's -type order is read from its end one type's range after another, for at most this many types (GitHub's). */
export const REVERSED_TYPE_RANGES = PROFILE_TYPES.length

/** The scope of the whole list's marks; a type's marks have the type as their scope. */
export const WHOLE_LIST = ''

/** The scope and order of a query's marks: a type's own, in the order within it, or the whole list's. */
export function markScope (query: PageQuery): { scope: string, order: OrderBy } {
  return query.type === undefined ? { scope: WHOLE_LIST, order: query.order_by } : { scope: query.type, order: orderWithinType(query.order_by) }
}

/**
 * Whether a phrase index yields a term's matches in this order (forwards or backwards): the whole
 * list's in every order, a type's in the orders within it; the descending username order only
 * where it is the ascending one read backwards.
 */
function phraseOrder (orderBy: OrderBy, typed: boolean, namesReversible: boolean): boolean {
  return (typed ? orderWithinType(orderBy) : orderBy) !== '-username' || namesReversible
}

export function planPage (query: PageQuery, options: PlanOptions): Plan {
  const { derived, totalKnown, trigrams: trigramIndex, total, listRows, listed, marked, mark, phrase } = options
  const filters = FILTER_NAMES.filter((name) => query[name] !== undefined)
  const onlyType = filters.length === 1 && filters[0] === 'type'
  const answersTerm = trigramIndex !== undefined && query.username !== undefined && [...query.username].length >= trigramIndex.length
  // A common term (more than SORTED_TERM_MATCHES, or marked by the seed) in an order its candidates
  // must be sorted into: walking that order's index finds a page's matches within a few rows each;
  // sorting every candidate would cost as many as there are matches.
  const sortedOrder = ORDER_KEYS[query.order_by].column !== null || trigramIndex?.idOrdered === false
  // A longer term's marks start its pages by number only: after a cursor it is read as an unmarked one.
  const longer = query.username !== undefined && [...query.username].length > KEPT_TERM_LENGTH
  const markedHere = marked === true && !(longer && query.after)
  const commonAndSorted = sortedOrder && ((total !== undefined && total > SORTED_TERM_MATCHES) || markedHere)
  const trigrams = derived && answersTerm && !commonAndSorted
  const offset = (query.page - 1) * query.pagination
  const counting: Counting = derived && totalIsKept(query, filters) ? 'kept' : totalKnown ? 'known' : 'count'
  const start: Start = query.after ? 'after' : total !== undefined && offset * 2 > total && offset < total ? 'end' : 'offset'
  const typed = filters.includes('type')
  const usernameAndType = filters.includes('username') && !filters.includes('id')
  const phraseAnswers = derived && phrase?.exact === true && usernameAndType && answersTerm &&
    listed !== true && phraseOrder(query.order_by, typed, phrase.namesReversible)
  // A marked term's page starts after its last mark before it, and skips the rest from the phrase
  // index where it answers (without reading their rows), else from the order's index.
  const marking = derived && markedHere && !query.after
  if (marking && !phraseAnswers) {
    return { access: 'scan', start: mark ? 'mark' : 'offset', counting, derived, filters, orderBy: query.order_by }
  }
  if (phraseAnswers) {
    let phraseStart: Start = start
    if (marking && mark) phraseStart = 'mark'
    // The whole list's -type order is read from its end range by range, where a skipped match costs
    // about twice one skipped forwards: there only in the list's last third.
    else if (!typed && query.order_by === '-type' && start === 'end' && (phrase.typeRanges > REVERSED_TYPE_RANGES || offset < 2 * (total! - offset))) {
      phraseStart = 'offset'
    }
    return { access: 'phrase', start: phraseStart, counting, derived, filters, orderBy: query.order_by }
  }
  // Where every candidate must be sorted, a term's page takes them however many there are: a walk to
  // a middle page, or through a stretch without matches after a cursor, has no bound. A page near
  // either end of the matches, or after a cursor, is first sought in a bounded walk, where the
  // matches spread evenly over the list would put it in the walk's first half.
  const sortsAll = derived && answersTerm && trigramIndex?.idOrdered === false && !markedHere &&
    !filters.includes('id') && total !== undefined && listRows !== undefined
  const fromItsEnd = start === 'end' ? total! - offset : start === 'after' ? query.pagination + 1 : offset + query.pagination
  let access: Access
  if (derived && listed === true) access = 'listed'
  else if (sortsAll) access = fromItsEnd * listRows! * 2 <= total! * WALKED_ROWS ? 'boundedWalk' : 'trigrams'
  else if (trigrams) access = 'trigrams'
  else if (start === 'offset' && derived && !filters.length) access = 'positions'
  else if (start === 'offset' && derived && onlyType) access = 'typePositions'
  else access = 'scan'
  return { access, start, counting, derived, filters, orderBy: query.order_by }
}

/**
 * Whether the plan's username term has its counts per type kept, and bound: a read in a type order
 * then skips the types where the term has no match.
 */
export function termCountedByType (plan: Plan): boolean {
  return plan.counting === 'kept' && plan.filters.includes('username')
}

/** A name for the plan's statement: plans with one name share one SQL text. */
export function planName (plan: Plan): string {
  return [plan.access, plan.start, plan.counting, plan.derived ? 'derived' : 'plain', plan.filters.join('+'), plan.orderBy].join(':')
}

/** The values a plan's statement binds, by name; each dialect shapes the username pattern itself. */
export function planValues (
  query: PageQuery, plan: Plan, total?: number, mark?: Mark, rankBefore?: number
): Record<string, string | number | null> {
  const offset = pageOffset(query) ?? 0
  // A cursor's page is read with one row more: whether another page follows.
  let limit = query.pagination + (plan.start === 'after' ? 1 : 0)
  // Known before the read, the total bounds the last page (a cursor's, with its rank at this
  // version): a walk of the order's index stops at the last match instead of reading on to the
  // index's end for rows that do not exist.
  const before = plan.start === 'after' ? rankBefore : offset
  if (total !== undefined && before !== undefined) limit = Math.max(0, Math.min(limit, total - before))
  const values: Record<string, string | number | null> = { limit, offset }
  if (plan.start === 'end') {
    // The page's rows counted from the end: the last of them is the (total - offset)th from there.
    values.offset = Math.max(0, total! - offset - query.pagination)
  }
  if (plan.start === 'mark') {
    values.offset = offset - mark!.matchesBefore
    values.afterId = mark!.position.id
    values.afterKey = mark!.position.key
  }
  // The folded term finds its kept counts (a short one's, or a common longer one's) and its listed ids.
  if (query.username !== undefined) values.term = foldTerm(query.username)
  if (query.id !== undefined) values.id = query.id
  if (query.type !== undefined) values.type = query.type
  if (query.after) {
    values.afterId = query.after.id
    values.afterKey = query.after.key
  }
  return values
}

/**
 * What a search's first statement looks up beside its total (each dialect's `totalFirstSql`): a
 * short term's listed ids, when its count is kept (then no id filter makes the list pointless);
 * whether it is marked, and its last mark before the page (which only a page
 * by number uses: a cursor's page starts at its cursor).
 */
export function searchLookups (query: PageQuery, plan: Plan): { listable: boolean, markable: boolean, values: Record<string, string> } {
  const length = [...query.username!].length
  const kept = plan.counting === 'kept'
  const listable = kept && length <= LISTED_TERM_LENGTH
  // A short term's count is kept where it can be marked; a longer one may be a common one, marked too.
  const markable = length > KEPT_TERM_LENGTH ? plan.derived && !plan.filters.includes('id') : kept
  if (!markable) return { listable, markable, values: {} }
  const { scope, order } = markScope(query)
  return { listable, markable: true, values: { scope, markOrder: order } }
}

/** The columns of a search's first statement after its total, as `totalFirstSql` names them in both dialects. */
export interface SearchLookupRow {
  listed: boolean | 0 | 1
  marked: boolean | 0 | 1
  mark_matches_before: number | null
  mark_after_key: string | null
  mark_after_id: number | null
}

/**
 * A search's page plan, and the mark it starts from, from its first statement's row and its total;
 * undefined when the page lies past the end and has no rows to read.
 */
export function planSearchPage (
  query: PageQuery, total: number, row: SearchLookupRow, dialect: Pick<PlanOptions, 'trigrams' | 'phrase' | 'listRows'>
): { plan: Plan, mark?: Mark } | undefined {
  const offset = pageOffset(query) ?? 0
  if (total === 0 || offset >= total) return undefined
  const mark = markOf(row)
  const plan = planPage(query, { ...dialect, derived: true, totalKnown: true, total, listed: Boolean(row.listed), marked: Boolean(row.marked), mark })
  return { plan, mark }
}

/** The mark read with a search's total, if any. */
function markOf (row: SearchLookupRow): Mark | undefined {
  if (row.mark_after_id === null) return undefined
  return { matchesBefore: row.mark_matches_before!, position: { key: row.mark_after_key, id: row.mark_after_id } }
}

/** The position of a page's last row, from the page's JSON array ('{"id":' starts each profile and cannot occur inside a JSON string). */
function lastRowPosition (resultsJson: string, orderBy: OrderBy): RowPosition | undefined {
  const start = resultsJson.lastIndexOf('{"id":')
  if (start < 0) return undefined
  const row = JSON.parse(resultsJson.slice(start, -1)) as { id: number, username: string, type: string }
  const { column } = ORDER_KEYS[orderBy]
  return { id: row.id, key: column === null ? null : row[column] }
}

/** The JSON array without its last profile: a look-ahead row that only told that more follow. */
function dropLastRow (resultsJson: string): string {
  const start = resultsJson.lastIndexOf(',{"id":')
  return start < 0 ? '[]' : `${resultsJson.slice(0, start)}]`
}

/** How many profiles a page's JSON array holds. */
function rowCount (resultsJson: string): number {
  return resultsJson.split('{"id":').length - 1
}

/** A page's rows and where the next page starts (null on the last page). */
export interface PageEnd { resultsJson: string, nextAfter: RowPosition | null }

/**
 * Where the page ends: a page by number knows from the total whether another follows; a cursor's
 * page was read with one row more, dropped here. A search's next cursor is ranked at `dataVersion`
 * when the rows before the page are known (`rankBefore`: a page by number's offset, or a ranked cursor's rank).
 */
export function pageEnd (query: PageQuery, total: number, resultsJson: string, dataVersion: string, rankBefore?: number): PageEnd {
  let page = resultsJson
  let position: RowPosition | undefined
  if (query.after) {
    if (rowCount(resultsJson) <= query.pagination) return { resultsJson, nextAfter: null }
    page = dropLastRow(resultsJson)
    position = lastRowPosition(page, query.order_by)
  } else {
    const more = query.page * query.pagination < total
    position = more ? lastRowPosition(resultsJson, query.order_by) : undefined
  }
  if (position && query.username !== undefined && rankBefore !== undefined) {
    position.rankAt = { rank: rankBefore + rowCount(page), versionTag: versionTag(dataVersion) }
  }
  return { resultsJson: page, nextAfter: position ?? null }
}

/** The rows before a page by number (its offset); a cursor's page has them only from a ranked cursor. */
export function pageOffset (query: PageQuery): number | undefined {
  return query.after ? undefined : (query.page - 1) * query.pagination
}
