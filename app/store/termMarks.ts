// Marks of the common terms (the short ones, and the longer ones longTerms.ts finds): in each sort
// order, of the whole list and within each type, how many of a term's matches there are up to every
// block's end (every markRows()-th row, included), and that row's position. A page deep in a common
// term's matches starts after the last mark before it and skips the matches of less than one block,
// so its cost does not grow with the page number. The marking here is both engines'; each feeds it
// its rows and writes the marks (derivedData.ts, postgres/termData.ts).
import type { OrderBy } from '../schemas/profiles.js'
import { foldTerm, ORDER_KEYS, WHOLE_LIST } from './profilesPlan.js'
import { FIRST_LENGTH, readWindowCodes, termCode } from './longTerms.js'
import { ASCII_TERM_CODES, asciiTermCode, forEachAsciiTerm, NON_ASCII, shortTerms } from './usernameTerms.js'

export const TERM_MARKS_TABLE = 'ghusers_term_marks'
/** Whether the seed marked a term, in either dialect's SQL (the term bound): the whole list's id order has its marks. */
export const TERM_MARKED = `scope = '${WHOLE_LIST}' AND order_by = 'id'`

/** Rows per block: a hundredth of the file, so a term has at most a hundred marks per order and scope, between bounds. */
export function markRows (accounts: number): number {
  return Math.min(50_000, Math.max(100, Math.ceil(accounts / 100)))
}

/** A column a walk sorts by, named as the plan names them; each dialect says how its index sorts it. */
export type MarkColumn = 'id' | 'username' | 'type'

/**
 * One pass over the rows in an order: the whole list's order it marks, the order within each type it
 * marks (rows grouped by type), and its sort (each an index's or the table's own order, so no sort).
 */
export interface MarkWalk { whole?: OrderBy, withinType?: OrderBy, order: Array<[MarkColumn, 'ASC' | 'DESC']> }
const MARK_WALKS: MarkWalk[] = [
  { whole: 'id', order: [['id', 'ASC']] },
  { whole: '-id', order: [['id', 'DESC']] },
  { whole: 'username', order: [['username', 'ASC'], ['id', 'ASC']] },
  { whole: '-username', order: [['username', 'DESC'], ['id', 'ASC']] },
  { whole: 'type', withinType: 'id', order: [['type', 'ASC'], ['id', 'ASC']] },
  { whole: '-type', order: [['type', 'DESC'], ['id', 'ASC']] },
  // Within a type any order of the types will do: this one is the type index read backwards.
  { withinType: '-id', order: [['type', 'DESC'], ['id', 'DESC']] },
  { withinType: 'username', order: [['type', 'ASC'], ['username', 'ASC'], ['id', 'ASC']] },
  { withinType: '-username', order: [['type', 'ASC'], ['username', 'DESC'], ['id', 'ASC']] }
]

/** Whether a walk reads the type column: it marks within types, or sorts by type. */
export function walkReadsType (walk: MarkWalk): boolean {
  return walk.order.some(([column]) => column === 'type')
}

/**
 * One order's marks in one scope, built row by row (and written after the walk: a connection cannot
 * write while it reads). A term's mark is kept at the last block end where its count had a value,
 * so the last mark at or below any count is the latest place to start.
 */
class ScopeMarks {
  private rank = 0
  private readonly counts: Int32Array
  private readonly markedBlock: Int32Array
  private readonly markedCount: Int32Array
  private readonly blockEnds: Array<{ key: unknown, id: number }> = [{ key: null, id: 0 }]
  /** The marks, as (term, block, matches before) triples. */
  private readonly marks: number[] = []

  constructor (readonly scope: string, readonly orderBy: OrderBy, terms: number, private readonly rows: number) {
    this.counts = new Int32Array(terms)
    this.markedBlock = new Int32Array(terms)
    this.markedCount = new Int32Array(terms)
  }

  /** The next row, holding the terms `found` (each once); at a block's end, each term's pending mark moves there or is kept. */
  addRow (found: number[], key: unknown, id: number): void {
    for (const index of found) this.counts[index]!++
    if (++this.rank % this.rows) return
    const block = this.rank / this.rows
    this.blockEnds[block] = { key, id }
    for (let index = 0; index < this.counts.length; index++) {
      if (this.markedBlock[index] && this.markedCount[index] !== this.counts[index]) this.emitMark(index)
      this.markedBlock[index] = block
      this.markedCount[index] = this.counts[index]!
    }
  }

  finish (): void {
    for (let index = 0; index < this.counts.length; index++) if (this.markedBlock[index]) this.emitMark(index)
  }

  private emitMark (index: number): void {
    this.marks.push(index, this.markedBlock[index]!, this.markedCount[index]!)
  }

  /** Each mark: its term's index, its block, the matches before the block's end, and that row's key and id. */
  * written (): Generator<[term: number, block: number, before: number, key: unknown, id: number]> {
    for (let at = 0; at < this.marks.length; at += 3) {
      const block = this.marks[at + 1]!
      const { key, id } = this.blockEnds[block]!
      yield [this.marks[at]!, block, this.marks[at + 2]!, key, id]
    }
  }
}

/** A mark as written: its scope, order and term, its block, the matches up to the block's end, and that row's key and id. */
export type MarkRow = [scope: string, orderBy: OrderBy, term: string, block: number, before: number, key: unknown, id: number]

/** Finds the common longer terms in a login, each looked up by its first FIRST_LENGTH characters. */
class LongerTerms {
  private readonly byFirstWindow = new Map<number, Array<[index: number, term: string]>>()
  private readonly windows: number[] = []

  /** `terms` (folded ASCII, longer than KEPT_TERM_LENGTH), numbered from `firstIndex`. */
  constructor (terms: string[], firstIndex: number) {
    terms.forEach((term, at) => {
      const code = termCode(term.slice(0, FIRST_LENGTH))
      let starting = this.byFirstWindow.get(code)
      if (!starting) this.byFirstWindow.set(code, starting = [])
      starting.push([firstIndex + at, term])
    })
  }

  /** Calls `visit` with the index of each term `login` holds (a term may repeat). */
  find (login: string, visit: (index: number) => void): void {
    const { windows } = this
    readWindowCodes(login, FIRST_LENGTH, windows)
    let folded: string | undefined
    for (let start = 0; start < windows.length; start++) {
      const starting = this.byFirstWindow.get(windows[start]!)
      if (!starting) continue
      folded ??= foldTerm(login)
      for (const [index, term] of starting) if (folded.startsWith(term, start)) visit(index)
    }
  }
}

/**
 * One walk's marking of the common terms: `common` (ASCII terms of 1..KEPT_TERM_LENGTH characters),
 * then `longer` (folded ASCII terms of more). Fed the walk's rows in its order, it yields the marks
 * of the whole list's order and of the order within each type.
 */
export class WalkMarks {
  private readonly whole: ScopeMarks | undefined
  private withinType: ScopeMarks | undefined
  private readonly scopes: ScopeMarks[] = []
  // The common terms of one login, each once.
  private readonly found: number[] = []
  private readonly seenInRow: Int32Array
  private row = 0

  private readonly terms: string[]
  private readonly longer: LongerTerms | undefined

  constructor (private readonly walk: MarkWalk, common: string[], longer: string[], private readonly indexOf: Int32Array, private readonly rows: number) {
    this.terms = [...common, ...longer]
    if (longer.length) this.longer = new LongerTerms(longer, common.length)
    this.seenInRow = new Int32Array(this.terms.length)
    if (walk.whole) this.scopes.push(this.whole = new ScopeMarks(WHOLE_LIST, walk.whole, this.terms.length, rows))
  }

  /** The next row: its id, its login as stored (the key of the username orders) and as text (its terms), and its type. */
  add (id: number, username: unknown, text: string, type: string | null): void {
    this.row++
    this.found.length = 0
    if (NON_ASCII.test(text)) {
      for (const term of shortTerms(text)) if (!NON_ASCII.test(term)) this.visit(asciiTermCode(term))
    } else {
      forEachAsciiTerm(text, this.visit)
    }
    this.longer?.find(text, this.visitIndex)
    const { whole, withinType } = this.walk
    this.whole?.addRow(this.found, keyOf(whole, username, type), id)
    if (withinType) {
      if (this.withinType?.scope !== type) {
        this.withinType?.finish()
        this.scopes.push(this.withinType = new ScopeMarks(type!, withinType, this.terms.length, this.rows))
      }
      this.withinType.addRow(this.found, keyOf(withinType, username, type), id)
    }
  }

  /** The walk's marks, once every row was added. */
  * marks (): Generator<MarkRow> {
    this.whole?.finish()
    this.withinType?.finish()
    for (const scope of this.scopes) {
      for (const [term, block, before, key, id] of scope.written()) yield [scope.scope, scope.orderBy, this.terms[term]!, block, before, key, id]
    }
  }

  private readonly visit = (code: number) => {
    const index = this.indexOf[code]!
    if (index >= 0) this.visitIndex(index)
  }

  private readonly visitIndex = (index: number) => {
    if (this.seenInRow[index] !== this.row) {
      this.seenInRow[index] = this.row
      this.found.push(index)
    }
  }
}

/** A row's key in an order: its login in the username orders, its type in the type orders, none in the id orders. */
function keyOf (orderBy: OrderBy | undefined, username: unknown, type: unknown): unknown {
  const column = orderBy === undefined ? null : ORDER_KEYS[orderBy].column
  return column === 'username' ? username : column === 'type' ? type : null
}

/**
 * The markings of every walk over `accounts` rows, one at a time, of `common` short terms and
 * `longer` common terms (see WalkMarks): each engine feeds them its rows.
 */
export function markWalks (common: string[], longer: string[], accounts: number): Array<{ walk: MarkWalk, marking: () => WalkMarks }> {
  const rows = markRows(accounts)
  const indexOf = new Int32Array(ASCII_TERM_CODES).fill(-1)
  common.forEach((term, index) => { indexOf[asciiTermCode(term)] = index })
  return MARK_WALKS.map((walk) => ({ walk, marking: () => new WalkMarks(walk, common, longer, indexOf, rows) }))
}
