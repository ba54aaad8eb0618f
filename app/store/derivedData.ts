// The file's data derived from users for speed: a position per row and sort order, each profile's
// JSON, counts, the terms' lists and marks, trigram indexes.
import type { Database } from 'better-sqlite3'
import { ORDER_BY_VALUES, type OrderBy } from '../schemas/profiles.js'
import { KEPT_LONG_TERM_MATCHES, LongTermCounts } from './longTerms.js'
import { markWalks, TERM_MARKS_TABLE, walkReadsType, type MarkColumn } from './termMarks.js'
import { KEPT_TERM_LENGTH, LISTED_TERM_LENGTH, RARE_TERM_MATCHES, TYPE_POSITION_ORDERS } from './profilesPlan.js'
import { ASCII_TERM_CODES, asciiTerm, asciiTermCode, forEachAsciiTerm, NON_ASCII, shortTerms, TRIPLES } from './usernameTerms.js'

/**
 * Every order_by as SQL terms. Ties break by id ascending in both directions, so a descending
 * order is not simply an ascending one read backwards.
 */
const ORDER_TERMS: Record<OrderBy, Array<[column: string, direction: string]>> = {
  id: [['id', 'ASC']],
  '-id': [['id', 'DESC']],
  username: [['username COLLATE NOCASE', 'ASC'], ['id', 'ASC']],
  '-username': [['username COLLATE NOCASE', 'DESC'], ['id', 'ASC']],
  type: [['type', 'ASC'], ['id', 'ASC']],
  '-type': [['type', 'DESC'], ['id', 'ASC']]
}

/** The ORDER BY terms of `orderBy`, over the columns of table `alias` (or unqualified), or of its exact reverse. */
export function orderSql (orderBy: OrderBy, alias?: string, reversed = false): string {
  return ORDER_TERMS[orderBy].map(([column, direction]) =>
    `${alias ? `${alias}.` : ''}${column} ${reversed ? (direction === 'ASC' ? 'DESC' : 'ASC') : direction}`).join(', ')
}

/** The table holding each row's 1-based position in one sort order (rank is its rowid). */
export function positionsTable (orderBy: OrderBy): string {
  return `ghusers_order_${orderBy.replace('-', '')}${orderBy.startsWith('-') ? '_desc' : ''}`
}

/** The table holding each row's 1-based position among the rows of its type, in one sort order. */
export function typePositionsTable (orderBy: OrderBy): string {
  return positionsTable(orderBy).replace('ghusers_order_', 'ghusers_type_order_')
}

/** How many accounts of each type hold each short username term (folded as LIKE folds): exact totals of short searches. */
export const TERM_COUNTS_TABLE = 'ghusers_term_counts'
/** The ids of the accounts holding each rare term of 1..LISTED_TERM_LENGTH characters: no index finds them otherwise. */
export const TERM_IDS_TABLE = 'ghusers_term_ids'

export const USERNAME_TRIGRAMS = 'ghusers_username_trigrams'
/**
 * The same trigrams keyed by each login's position in the username order (contentless: the index
 * alone), so a term's matches come in that order and a deep page skips them without reading a row.
 */
export const NAME_TRIGRAMS = 'ghusers_name_trigrams'
/**
 * The same trigrams keyed by each login's position in the type order (type, then id), and in the
 * order by type, then username: one type's logins are one range of positions, so a term's matches
 * within a type are counted and paged from the index alone.
 */
export const TYPE_ID_TRIGRAMS = 'ghusers_type_id_trigrams'
export const TYPE_NAME_TRIGRAMS = 'ghusers_type_name_trigrams'
/** Each profile's JSON text, as the API sends it, by id. */
export const PROFILE_JSON_TABLE = 'ghusers_profile_json'

/**
 * A profile as API JSON, built by SQLite from the columns of table `alias`. Text columns are
 * cast, so a value another tool stored as a number or blob still comes out a JSON string.
 */
export function profileJsonSql (alias: string): string {
  return `json_object('id', ${alias}.id, 'username', CAST(${alias}.username AS TEXT), ` +
    `'avatar_url', CAST(${alias}.avatar_url AS TEXT), 'type', CAST(${alias}.type AS TEXT), 'url', CAST(${alias}.url AS TEXT))`
}

/** Tables of the derived data, created by a migration and filled by rebuildDerivedData(). */
export const DERIVED_TABLES_SQL = `
  ${ORDER_BY_VALUES.map((orderBy) =>
    `CREATE TABLE IF NOT EXISTS ${positionsTable(orderBy)} (rank INTEGER PRIMARY KEY, id INTEGER NOT NULL);`).join('\n')}
  CREATE TABLE IF NOT EXISTS ghusers_type_counts (type TEXT PRIMARY KEY, count INTEGER NOT NULL) WITHOUT ROWID;
  CREATE VIRTUAL TABLE IF NOT EXISTS ${USERNAME_TRIGRAMS}
    USING fts5(username, content = 'users', content_rowid = 'id', tokenize = 'trigram');
  INSERT OR IGNORE INTO ghusers_meta (key, value) VALUES ('derived_version', -1), ('total_count', 0);`

/**
 * The profiles' JSON, kept built: SQLite's json_object is most of what reading a page costs,
 * where concatenating stored text costs a fraction (bench/README.md). The migration fills it
 * from users at once, so derived data that was current stays current (the rest is not rebuilt).
 */
const FILL_PROFILE_JSON_SQL = `INSERT OR REPLACE INTO ${PROFILE_JSON_TABLE} (id, json) SELECT u.id, ${profileJsonSql('u')} FROM users u;`

export const PROFILE_JSON_TABLE_SQL = `
  CREATE TABLE IF NOT EXISTS ${PROFILE_JSON_TABLE} (id INTEGER PRIMARY KEY, json TEXT NOT NULL);
  ${FILL_PROFILE_JSON_SQL}`

/** Marks the derived data stale: start-up (or the next seed) rebuilds it. */
const DERIVED_STALE_SQL = "UPDATE ghusers_meta SET value = -1 WHERE key = 'derived_version';"

/** Positions within each type (the type orders are the id order there), for type-filtered pages at any depth. */
export const TYPE_POSITIONS_TABLES_SQL = `
  ${TYPE_POSITION_ORDERS.map((orderBy) => `CREATE TABLE IF NOT EXISTS ${typePositionsTable(orderBy)} (
    type TEXT NOT NULL, rank INTEGER NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (type, rank)) WITHOUT ROWID;`).join('\n')}
  ${DERIVED_STALE_SQL}`

/** Counts of 3-character terms join those of shorter ones; the rare short terms' ids are listed. */
export const TERM_IDS_TABLE_SQL = `
  CREATE TABLE IF NOT EXISTS ${TERM_IDS_TABLE} (term TEXT NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (term, id)) WITHOUT ROWID;
  ${DERIVED_STALE_SQL}`

const TERM_MARKS_TABLE_SQL = `
  CREATE TABLE IF NOT EXISTS ${TERM_MARKS_TABLE} (scope TEXT NOT NULL, order_by TEXT NOT NULL, term TEXT NOT NULL,
    block INTEGER NOT NULL, matches_before INTEGER NOT NULL, after_key, after_id INTEGER NOT NULL,
    PRIMARY KEY (scope, order_by, term, matches_before)) WITHOUT ROWID;`

/** Marks of the common short terms in every order (termMarks.ts), and the trigrams in the username order. */
export const TERM_MARKS_MIGRATION_SQL = `${TERM_MARKS_TABLE_SQL}
  CREATE VIRTUAL TABLE IF NOT EXISTS ${NAME_TRIGRAMS} USING fts5(username, content = '', tokenize = 'trigram');
  ${DERIVED_STALE_SQL}`

/** Refills a contentless trigram index keyed by each login's position in `order` (as its positions table numbers it). */
function fillTrigramsByPositionSql (table: string, order: string): string {
  return `
  INSERT INTO ${table} (${table}) VALUES ('delete-all');
  INSERT INTO ${table} (rowid, username) SELECT row_number() OVER (ORDER BY ${order}), username FROM users;`
}

/**
 * Refills the trigrams in the username order (positions as in its positions table) and counts the
 * logins equal to the one before them but for case: with none, the descending username order is
 * the exact reverse of the ascending one (both break ties by id ascending).
 */
const FILL_NAME_TRIGRAMS_SQL = `${fillTrigramsByPositionSql(NAME_TRIGRAMS, orderSql('username'))}
  INSERT OR REPLACE INTO ghusers_meta (key, value) SELECT 'username_twins', count(*) FROM
    (SELECT username = lag(username) OVER (ORDER BY ${orderSql('username')}) COLLATE NOCASE AS twin FROM users) WHERE twin;`

/**
 * The trigrams in the orders by type (a type's positions are the rows before it, from
 * ghusers_type_counts, and on), and the position of a row by its id in each order a phrase index
 * is keyed by: where a cursor's page starts.
 */
export const TYPE_TRIGRAMS_TABLES_SQL = `
  ${[TYPE_ID_TRIGRAMS, TYPE_NAME_TRIGRAMS].map((table) =>
    `CREATE VIRTUAL TABLE IF NOT EXISTS ${table} USING fts5(username, content = '', tokenize = 'trigram');`).join('\n')}
  ${[positionsTable('username'), positionsTable('type'), typePositionsTable('username')].map((table) =>
    `CREATE INDEX IF NOT EXISTS ${table}_id ON ${table} (id);`).join('\n')}
  ${DERIVED_STALE_SQL}`

// Positions as the positions tables number them: the type order, and the username order within each type.
const FILL_TYPE_TRIGRAMS_SQL = fillTrigramsByPositionSql(TYPE_ID_TRIGRAMS, orderSql('type')) +
  fillTrigramsByPositionSql(TYPE_NAME_TRIGRAMS, `type, ${orderSql('username')}`)

export const TERM_COUNTS_TABLE_SQL = `
  CREATE TABLE IF NOT EXISTS ${TERM_COUNTS_TABLE} (term TEXT NOT NULL, type TEXT NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (term, type)) WITHOUT ROWID;
  ${DERIVED_STALE_SQL}`

/** Counts that a login counts once per term: each term's last login counted. */
class OncePerLogin {
  readonly counts = new Int32Array(ASCII_TERM_CODES)
  private readonly lastRow = new Int32Array(ASCII_TERM_CODES)
  add (code: number, row: number): boolean {
    if (this.lastRow[code] === row) return false
    this.lastRow[code] = row
    this.counts[code]!++
    return true
  }
}

/** The rare listed terms (ASCII ones by code), and how many logins are not ASCII. */
interface RareTerms { ascii: Uint8Array, others: Set<string>, nonAsciiLogins: number }

/** The listed rare terms, the common ASCII ones (marked), and how many logins are not ASCII. */
interface CountedTerms { rare: RareTerms, common: string[] }

/**
 * Counts every short term per type, reading the logins once: ASCII logins (GitHub's) by character
 * codes into arrays, any other through shortTerms(), so a million logins take a second or two.
 * Returns the rare listed terms (those of 1..LISTED_TERM_LENGTH characters held by at most
 * RARE_TERM_MATCHES logins) and the common ASCII terms of any kept length (held by more).
 */
function rebuildTermCounts (db: Database): CountedTerms {
  const ascii = new Map<string, OncePerLogin>()
  const others = new Map<string, number>()
  let row = 0
  let nonAsciiLogins = 0
  const rows = db.prepare('SELECT CAST(username AS TEXT) AS username, CAST(type AS TEXT) AS type FROM users').raw().iterate() as Iterable<[string, string]>
  for (const [username, type] of rows) {
    row++
    if (NON_ASCII.test(username)) {
      nonAsciiLogins++
      for (const term of shortTerms(username)) {
        const key = JSON.stringify([term, type])
        others.set(key, (others.get(key) ?? 0) + 1)
      }
      continue
    }
    let counts = ascii.get(type)
    if (!counts) ascii.set(type, counts = new OncePerLogin())
    const current = row
    forEachAsciiTerm(username, (code) => counts.add(code, current))
  }
  db.exec(`DELETE FROM ${TERM_COUNTS_TABLE}`)
  const insert = db.prepare(`INSERT INTO ${TERM_COUNTS_TABLE} (term, type, count) VALUES (?, ?, ?)
    ON CONFLICT (term, type) DO UPDATE SET count = count + excluded.count`)
  const asciiTotals = new Int32Array(ASCII_TERM_CODES)
  for (const [type, { counts }] of ascii) {
    counts.forEach((value, code) => {
      if (!value) return
      insert.run(asciiTerm(code), type, value)
      asciiTotals[code]! += value
    })
  }
  const otherTotals = new Map<string, number>()
  for (const [key, value] of others) {
    const [term, type] = JSON.parse(key) as [string, string]
    insert.run(term, type, value)
    otherTotals.set(term, (otherTotals.get(term) ?? 0) + value)
  }
  // A term's matches among ASCII logins and among the others, together.
  const matches = (term: string) => (otherTotals.get(term) ?? 0) + (NON_ASCII.test(term) ? 0 : asciiTotals[asciiTermCode(term)]!)
  const rare = (term: string) => matches(term) <= RARE_TERM_MATCHES
  const rareAscii = new Uint8Array(TRIPLES)
  const common = new Set<string>()
  asciiTotals.forEach((count, code) => {
    if (!count) return
    const term = asciiTerm(code)
    if (!rare(term)) common.add(term)
    else if (code < TRIPLES) rareAscii[code] = 1
  })
  const listable = [...otherTotals.keys()].filter((term) => [...term].length <= LISTED_TERM_LENGTH)
  for (const term of otherTotals.keys()) if (!NON_ASCII.test(term) && !rare(term)) common.add(term)
  return {
    rare: { ascii: rareAscii, others: new Set(listable.filter(rare)), nonAsciiLogins },
    common: [...common]
  }
}

/**
 * Counts the common longer terms per type (longTerms.ts) in two passes over the logins, from the
 * short terms' counts; returns them (none where the logins cannot be read as LIKE reads them).
 */
function rebuildLongTermCounts (db: Database): string[] {
  const base = db.prepare(`SELECT term FROM ${TERM_COUNTS_TABLE} WHERE length(term) = ${KEPT_TERM_LENGTH}
    GROUP BY term HAVING sum(count) > ${KEPT_LONG_TERM_MATCHES}`).pluck().all() as string[]
  const counts = new LongTermCounts(base)
  const logins = db.prepare('SELECT username, type FROM users').raw()
  while (counts.searching) {
    for (const [username, type] of logins.iterate() as Iterable<[unknown, unknown]>) {
      // LIKE matches no blob and stops at a NUL, and a type filter finds no type stored as other than
      // text (another tool's rows): in such a file, longer terms are counted, none kept.
      if (typeof username !== 'string' || typeof type !== 'string' || username.includes('\0')) return []
      counts.add(username, type)
    }
    counts.endPass()
  }
  const insert = db.prepare(`INSERT INTO ${TERM_COUNTS_TABLE} (term, type, count) VALUES (?, ?, ?)`)
  for (const row of counts.rows()) insert.run(...row)
  return counts.terms
}

/** Lists the ids of the logins holding each rare term, term by term in id order (the table's own order). */
function rebuildTermIds (db: Database, rare: RareTerms): void {
  db.exec(`DELETE FROM ${TERM_IDS_TABLE}`)
  const ids = new Map<string, number[]>()
  const list = (term: string, id: number) => {
    let found = ids.get(term)
    if (!found) ids.set(term, found = [])
    if (found[found.length - 1] !== id) found.push(id)
  }
  const rows = db.prepare('SELECT id, CAST(username AS TEXT) FROM users ORDER BY id').raw().iterate() as Iterable<[number, string]>
  for (const [id, username] of rows) {
    if (NON_ASCII.test(username)) {
      for (const term of shortTerms(username)) if (rare.others.has(term)) list(term, id)
      continue
    }
    forEachAsciiTerm(username, (code) => { if (code < TRIPLES && rare.ascii[code]) list(asciiTerm(code), id) })
  }
  const insert = db.prepare(`INSERT INTO ${TERM_IDS_TABLE} (term, id) VALUES (?, ?)`)
  for (const term of [...ids.keys()].sort()) for (const id of ids.get(term)!) insert.run(term, id)
}

/**
 * Refills positions, profiles' JSON, counts and the trigram index from users, and marks them as matching
 * the current data version. Runs inside the caller's write transaction.
 */
export function rebuildDerivedData (db: Database): void {
  for (const orderBy of ORDER_BY_VALUES) {
    const table = positionsTable(orderBy)
    db.exec(`DELETE FROM ${table};
      INSERT INTO ${table} (rank, id) SELECT row_number() OVER (ORDER BY ${orderSql(orderBy, 'u')}), u.id FROM users u;`)
  }
  for (const orderBy of TYPE_POSITION_ORDERS) {
    const table = typePositionsTable(orderBy)
    db.exec(`DELETE FROM ${table};
      INSERT INTO ${table} (type, rank, id)
        SELECT u.type, row_number() OVER (PARTITION BY u.type ORDER BY ${orderSql(orderBy, 'u')}), u.id FROM users u;`)
  }
  const { rare, common } = rebuildTermCounts(db)
  const longer = rebuildLongTermCounts(db)
  rebuildTermIds(db, rare)
  rebuildTermMarks(db, common, longer)
  // With every login ASCII, a trigram phrase matches exactly the logins LIKE does (see sqlite/pageSql.ts).
  db.prepare("INSERT OR REPLACE INTO ghusers_meta (key, value) VALUES ('non_ascii_logins', ?)").run(rare.nonAsciiLogins)
  db.exec(`
    DELETE FROM ${PROFILE_JSON_TABLE};
    ${FILL_PROFILE_JSON_SQL}
    DELETE FROM ghusers_type_counts;
    INSERT INTO ghusers_type_counts (type, count) SELECT type, count(*) FROM users GROUP BY type;
    UPDATE ghusers_meta SET value = (SELECT count(*) FROM users) WHERE key = 'total_count';
    INSERT INTO ${USERNAME_TRIGRAMS} (${USERNAME_TRIGRAMS}) VALUES ('rebuild');
    ${FILL_NAME_TRIGRAMS_SQL}
    ${FILL_TYPE_TRIGRAMS_SQL}
    UPDATE ghusers_meta SET value = (SELECT value FROM ghusers_meta WHERE key = 'data_version')
      WHERE key = 'derived_version';`)
}

/** Whether the derived data was built at the file's current data version. */
export function derivedDataIsCurrent (db: Database): boolean {
  return db.prepare(`SELECT (SELECT value FROM ghusers_meta WHERE key = 'derived_version') =
    (SELECT value FROM ghusers_meta WHERE key = 'data_version')`).pluck().get() === 1
}

/** The sort of a walk in the file's terms: its indexes' own. */
const MARK_COLUMNS_SQL: Record<MarkColumn, string> = { id: 'id', username: 'username COLLATE NOCASE', type: 'type' }

/**
 * Refills the marks of `common` (ASCII terms of 1..KEPT_TERM_LENGTH characters) and of the `longer`
 * common terms: nine walks mark the six orders of the whole list and the four within a type.
 */
function rebuildTermMarks (db: Database, common: string[], longer: string[]): void {
  db.exec(`DELETE FROM ${TERM_MARKS_TABLE}`)
  if (!common.length) return
  const accounts = db.prepare('SELECT count(*) FROM users').pluck().get() as number
  const insert = db.prepare(`INSERT INTO ${TERM_MARKS_TABLE} (scope, order_by, term, block, matches_before, after_key, after_id)
    VALUES (?, ?, ?, ?, ?, ?, ?)`)
  for (const { walk, marking } of markWalks(common, longer, accounts)) {
    const marks = marking()
    // Only the columns of the walk's index, so that it is read alone.
    const typeColumn = walkReadsType(walk) ? 'type' : 'NULL'
    const order = walk.order.map(([column, direction]) => `${MARK_COLUMNS_SQL[column]} ${direction}`).join(', ')
    // The terms from the login as LIKE reads it (SQLite's text of a number or blob); the key as stored, as the keyset compares it.
    const select = db.prepare(`SELECT id, username, CAST(username AS TEXT), ${typeColumn} FROM users ORDER BY ${order}`).raw()
    for (const [id, username, text, type] of select.iterate() as Iterable<[number, unknown, string, string | null]>) marks.add(id, username, text, type)
    // Written after the walk: a connection cannot write while it reads.
    for (const mark of marks.marks()) insert.run(...mark)
  }
}
