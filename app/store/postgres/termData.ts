// The terms' lists, marks and counts in PostgreSQL, as the file keeps them (derivedData.ts,
// termMarks.ts, longTerms.ts): the ids holding each rare short term, each common longer term's count
// per type, and the marks of each common term, short or longer, in every order.
import type pg from 'pg'
import { TERM_COUNTS_TABLE, TERM_IDS_TABLE } from '../derivedData.js'
import { KEPT_LONG_TERM_MATCHES, LongTermCounts } from '../longTerms.js'
import { KEPT_TERM_LENGTH, LISTED_TERM_LENGTH, RARE_TERM_MATCHES } from '../profilesPlan.js'
import { markWalks, TERM_MARKS_TABLE, walkReadsType, type MarkColumn, type MarkRow } from '../termMarks.js'
import { NON_ASCII } from '../usernameTerms.js'
import { FOLDED_LOGINS_TABLE, FOLDED_USERNAME } from './schema.js'

/** A walk's sort in PostgreSQL's terms: its indexes' own. */
function columnSql (column: MarkColumn): string {
  return { id: 'u.id', username: `${FOLDED_USERNAME} COLLATE "C"`, type: 'u.type COLLATE "C"' }[column]
}

/** Rows fetched from a walk's cursor at a time, and marks written at a time. */
const BATCH = 20_000

/**
 * Refills the rare short terms' ids, and the marks of the common short terms and of the `longer`
 * common terms, from users and the term counts (filled first). Runs inside the caller's
 * transaction (the cursors need one).
 */
export async function rebuildTermListsAndMarks (client: pg.ClientBase, longer: string[]): Promise<void> {
  // Each login's distinct rare terms, folded as the search folds them.
  await client.query(`DELETE FROM ${TERM_IDS_TABLE}`)
  await client.query(`INSERT INTO ${TERM_IDS_TABLE} (term, id)
    SELECT DISTINCT t.term, u.id FROM users u, LATERAL (
      SELECT substr(ghusers_fold(u.username), i, n) AS term
      FROM generate_series(1, ${LISTED_TERM_LENGTH}) n, generate_series(1, char_length(u.username) - n + 1) i) t
    WHERE t.term IN (SELECT term FROM ${TERM_COUNTS_TABLE} WHERE char_length(term) <= ${LISTED_TERM_LENGTH}
      GROUP BY term HAVING sum(count) <= ${RARE_TERM_MATCHES})`)
  await client.query(`DELETE FROM ${TERM_MARKS_TABLE}`)
  const { rows } = await client.query<{ term: string }>(`SELECT term FROM ${TERM_COUNTS_TABLE} WHERE char_length(term) <= ${KEPT_TERM_LENGTH}
    GROUP BY term HAVING sum(count) > ${RARE_TERM_MATCHES}`)
  const common = rows.map((row) => row.term).filter((term) => !NON_ASCII.test(term))
  if (!common.length) return
  const { rows: [counted] } = await client.query<{ accounts: number }>('SELECT count(*) AS accounts FROM users')
  for (const { walk, marking } of markWalks(common, longer, counted!.accounts)) {
    const marks = marking()
    const order = walk.order.map(([column, direction]) => `${columnSql(column)} ${direction}`).join(', ')
    await forEachRow<[number, string, string | null]>(client, `SELECT u.id, u.username, ${walkReadsType(walk) ? 'u.type' : 'NULL'} FROM users u ORDER BY ${order}`,
      ([id, username, type]) => marks.add(id, username, username, type))
    await writeMarks(client, marks.marks())
  }
}

/**
 * Counts the common longer terms per type (longTerms.ts) in two passes over the folded logins (filled
 * first), from the short terms' counts (filled first); inside the caller's transaction.
 */
export async function rebuildLongTermCounts (client: pg.ClientBase): Promise<string[]> {
  const { rows } = await client.query<{ term: string }>(`SELECT term FROM ${TERM_COUNTS_TABLE} WHERE char_length(term) = ${KEPT_TERM_LENGTH}
    GROUP BY term HAVING sum(count) > ${KEPT_LONG_TERM_MATCHES}`)
  const counts = new LongTermCounts(rows.map((row) => row.term))
  while (counts.searching) {
    await forEachRow<[string, string]>(client, `SELECT folded, type FROM ${FOLDED_LOGINS_TABLE}`, ([folded, type]) => counts.add(folded, type))
    counts.endPass()
  }
  await insertRows(client, TERM_COUNTS_TABLE, [['term', 'text[]'], ['type', 'text[]'], ['count', 'bigint[]']], counts.rows())
  return counts.terms
}

/** Calls `visit` with each row of `sql`, fetched BATCH rows at a time from a cursor (it needs the caller's transaction). */
async function forEachRow<Row extends unknown[]> (client: pg.ClientBase, sql: string, visit: (row: Row) => void): Promise<void> {
  await client.query(`DECLARE ghusers_rows NO SCROLL CURSOR FOR ${sql}`)
  for (;;) {
    const { rows } = await client.query<Row>({ text: `FETCH ${BATCH} FROM ghusers_rows`, rowMode: 'array' })
    rows.forEach(visit)
    if (rows.length < BATCH) break
  }
  await client.query('CLOSE ghusers_rows')
}

/** Writes `rows` into `table`'s `columns` (each with its PostgreSQL array type), BATCH rows a statement. */
async function insertRows (client: pg.ClientBase, table: string, columns: Array<[name: string, arrayType: string]>, rows: Iterable<unknown[]>): Promise<void> {
  const sql = `INSERT INTO ${table} (${columns.map(([name]) => name).join(', ')})
    SELECT * FROM unnest(${columns.map(([, arrayType], index) => `$${index + 1}::${arrayType}`).join(', ')})`
  let batch: unknown[][] = columns.map(() => [])
  for (const row of rows) {
    row.forEach((value, index) => batch[index]!.push(value))
    if (batch[0]!.length === BATCH) {
      await client.query(sql, batch)
      batch = columns.map(() => [])
    }
  }
  if (batch[0]!.length) await client.query(sql, batch)
}

async function writeMarks (client: pg.ClientBase, marks: Iterable<MarkRow>): Promise<void> {
  await insertRows(client, TERM_MARKS_TABLE, [
    ['scope', 'text[]'], ['order_by', 'text[]'], ['term', 'text[]'], ['block', 'integer[]'], ['matches_before', 'bigint[]'], ['after_key', 'text[]'], ['after_id', 'bigint[]']
  ], marks)
}
