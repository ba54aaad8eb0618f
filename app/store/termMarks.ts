// Marks of the common short terms: in each sort order, of the whole list and within each type, how
// many of a term's matches there are up to every block's end (every markRows()-th row, included),
// and that row's position. A page deep in a common term's matches starts after the last mark before it and skips
// the matches of less than one block, so its cost does not grow with the page number.
import type { Database } from 'better-sqlite3'
import type { OrderBy } from '../schemas/profiles.js'
import { ORDER_KEYS, WHOLE_LIST } from './profilesPlan.js'
import { ASCII_TERM_CODES, asciiTermCode, forEachAsciiTerm, NON_ASCII, shortTerms } from './usernameTerms.js'

export const TERM_MARKS_TABLE = 'ghusers_term_marks'

export const TERM_MARKS_TABLE_SQL = `
  CREATE TABLE IF NOT EXISTS ${TERM_MARKS_TABLE} (scope TEXT NOT NULL, order_by TEXT NOT NULL, term TEXT NOT NULL,
    block INTEGER NOT NULL, matches_before INTEGER NOT NULL, after_key, after_id INTEGER NOT NULL,
    PRIMARY KEY (scope, order_by, term, matches_before)) WITHOUT ROWID;`

/** Rows per block: a hundredth of the file, so a term has at most a hundred marks per order and scope, between bounds. */
export function markRows (accounts: number): number {
  return Math.min(50_000, Math.max(100, Math.ceil(accounts / 100)))
}

/**
 * One pass over the rows in an order: the whole list's order it marks, the order within each type it
 * marks (rows grouped by type), and its SQL (each an index's or the table's own order, so no sort).
 */
interface Walk { whole?: OrderBy, withinType?: OrderBy, orderSql: string }
const WALKS: Walk[] = [
  { whole: 'id', orderSql: 'id' },
  { whole: '-id', orderSql: 'id DESC' },
  { whole: 'username', orderSql: 'username COLLATE NOCASE, id' },
  { whole: '-username', orderSql: 'username COLLATE NOCASE DESC, id' },
  { whole: 'type', withinType: 'id', orderSql: 'type, id' },
  { whole: '-type', orderSql: 'type DESC, id' },
  // Within a type any order of the types will do: this one is the type index read backwards.
  { withinType: '-id', orderSql: 'type DESC, id DESC' },
  { withinType: 'username', orderSql: 'type, username COLLATE NOCASE, id' },
  { withinType: '-username', orderSql: 'type, username COLLATE NOCASE DESC, id' }
]

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

/** Refills the marks of `common` (ASCII terms of 1..KEPT_TERM_LENGTH characters): nine walks mark the six orders of the whole list and the four within a type. */
export function rebuildTermMarks (db: Database, common: string[]): void {
  db.exec(`DELETE FROM ${TERM_MARKS_TABLE}`)
  if (!common.length) return
  const rows = markRows(db.prepare('SELECT count(*) FROM users').pluck().get() as number)
  const indexOf = new Int32Array(ASCII_TERM_CODES).fill(-1)
  common.forEach((term, index) => { indexOf[asciiTermCode(term)] = index })
  // The common terms of one login, each once.
  const found: number[] = []
  const seenInRow = new Int32Array(common.length)
  let row = 0
  const visit = (code: number) => {
    const index = indexOf[code]!
    if (index >= 0 && seenInRow[index] !== row) {
      seenInRow[index] = row
      found.push(index)
    }
  }
  const insert = db.prepare(`INSERT INTO ${TERM_MARKS_TABLE} (scope, order_by, term, block, matches_before, after_key, after_id)
    VALUES (?, ?, ?, ?, ?, ?, ?)`)
  const keyOf = (orderBy: OrderBy | undefined, username: unknown, type: unknown) => {
    const column = orderBy === undefined ? null : ORDER_KEYS[orderBy].column
    return column === 'username' ? username : column === 'type' ? type : null
  }
  for (const walk of WALKS) {
    const whole = walk.whole && new ScopeMarks(WHOLE_LIST, walk.whole, common.length, rows)
    let withinType: ScopeMarks | undefined
    const written: ScopeMarks[] = whole ? [whole] : []
    // Only the columns of the walk's index, so that it is read alone.
    const typeColumn = walk.withinType || walk.whole === 'type' || walk.whole === '-type' ? 'type' : 'NULL'
    // The terms from the login as LIKE reads it (SQLite's text of a number or blob); the key as stored, as the keyset compares it.
    const select = db.prepare(`SELECT id, username, CAST(username AS TEXT), ${typeColumn} FROM users ORDER BY ${walk.orderSql}`).raw()
    for (const [id, username, text, type] of select.iterate() as Iterable<[number, unknown, string, string]>) {
      row++
      found.length = 0
      if (NON_ASCII.test(text)) {
        for (const term of shortTerms(text)) if (!NON_ASCII.test(term)) visit(asciiTermCode(term))
      } else {
        forEachAsciiTerm(text, visit)
      }
      whole?.addRow(found, keyOf(walk.whole, username, type), id)
      if (walk.withinType) {
        if (withinType?.scope !== type) {
          withinType?.finish()
          withinType = new ScopeMarks(type, walk.withinType, common.length, rows)
          written.push(withinType)
        }
        withinType.addRow(found, keyOf(walk.withinType, username, type), id)
      }
    }
    whole?.finish()
    withinType?.finish()
    for (const scope of written) {
      for (const [term, block, before, key, id] of scope.written()) insert.run(scope.scope, scope.orderBy, common[term], block, before, key, id)
    }
  }
}
