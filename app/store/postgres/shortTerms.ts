// The short terms' lists and marks, and the common longer terms' counts, in PostgreSQL, as the file
// keeps them (derivedData.ts, termMarks.ts, longTerms.ts): the ids holding each rare short term, the
// marks of each common one in every order, and each common longer term's count per type.
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
 * Refills the rare short terms' ids and the common terms' marks from users and the term counts (filled
 * first). Runs inside the caller's transaction (the cursors need one).
 */
export async function rebuildShortTerms (client: pg.ClientBase): Promise<void> {
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
  for (const { walk, marking } of markWalks(common, counted!.accounts)) {
    const marks = marking()
    const order = walk.order.map(([column, direction]) => `${columnSql(column)} ${direction}`).join(', ')
    await client.query(`DECLARE ghusers_walk NO SCROLL CURSOR FOR
      SELECT u.id, u.username, ${walkReadsType(walk) ? 'u.type' : 'NULL'} FROM users u ORDER BY ${order}`)
    for (;;) {
      const { rows: batch } = await client.query<[number, string, string | null]>({ text: `FETCH ${BATCH} FROM ghusers_walk`, rowMode: 'array' })
      for (const [id, username, type] of batch) marks.add(id, username, username, type)
      if (batch.length < BATCH) break
    }
    await client.query('CLOSE ghusers_walk')
    await writeMarks(client, marks.marks())
  }
}

/**
 * Counts the common longer terms per type from the folded logins (filled first), one pass over them
 * per length, from the common short terms' counts (filled first); inside the caller's transaction.
 */
export async function rebuildLongTermCounts (client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{ term: string }>(`SELECT term FROM ${TERM_COUNTS_TABLE} WHERE char_length(term) = ${KEPT_TERM_LENGTH}
    GROUP BY term HAVING sum(count) > ${KEPT_LONG_TERM_MATCHES}`)
  const counts = new LongTermCounts(rows.map((row) => row.term))
  while (counts.searching) {
    await client.query(`DECLARE ghusers_logins NO SCROLL CURSOR FOR SELECT folded, type FROM ${FOLDED_LOGINS_TABLE}`)
    for (;;) {
      const { rows: batch } = await client.query<[string, string]>({ text: `FETCH ${BATCH} FROM ghusers_logins`, rowMode: 'array' })
      for (const [folded, type] of batch) counts.add(folded, type)
      if (batch.length < BATCH) break
    }
    await client.query('CLOSE ghusers_logins')
    counts.endPass()
  }
  let columns: unknown[][] = [[], [], []]
  const flush = async () => {
    await client.query(`INSERT INTO ${TERM_COUNTS_TABLE} (term, type, count) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])`, columns)
    columns = [[], [], []]
  }
  for (const row of counts.rows()) {
    row.forEach((value, index) => columns[index]!.push(value))
    if (columns[0]!.length === BATCH) await flush()
  }
  if (columns[0]!.length) await flush()
}

async function writeMarks (client: pg.ClientBase, marks: Iterable<MarkRow>): Promise<void> {
  let columns: unknown[][] = [[], [], [], [], [], [], []]
  const flush = async () => {
    await client.query(`INSERT INTO ${TERM_MARKS_TABLE} (scope, order_by, term, block, matches_before, after_key, after_id)
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::bigint[], $6::text[], $7::bigint[])`, columns)
    columns = [[], [], [], [], [], [], []]
  }
  for (const mark of marks) {
    mark.forEach((value, index) => columns[index]!.push(value))
    if (columns[0]!.length === BATCH) await flush()
  }
  if (columns[0]!.length) await flush()
}
