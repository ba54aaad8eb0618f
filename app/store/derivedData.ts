// Data derived from users for speed: a position per row and sort order, each profile's JSON, counts,
// a trigram index.
import type { Database } from 'better-sqlite3'
import { ORDER_BY_VALUES, type OrderBy } from '../schemas/profiles.js'
import { foldTerm, KEPT_TERM_LENGTH, TYPE_POSITION_ORDERS } from './profilesPlan.js'

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

/** The ORDER BY terms of `orderBy`, over the columns of table `alias` (or unqualified). */
export function orderSql (orderBy: OrderBy, alias?: string): string {
  return ORDER_TERMS[orderBy].map(([column, direction]) => `${alias ? `${alias}.` : ''}${column} ${direction}`).join(', ')
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

export const USERNAME_TRIGRAMS = 'ghusers_username_trigrams'
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

/** Positions within each type (the type orders are the id order there), for type-filtered pages at any depth. */
export const TYPE_POSITIONS_TABLES_SQL = `
  ${TYPE_POSITION_ORDERS.map((orderBy) => `CREATE TABLE IF NOT EXISTS ${typePositionsTable(orderBy)} (
    type TEXT NOT NULL, rank INTEGER NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (type, rank)) WITHOUT ROWID;`).join('\n')}
  UPDATE ghusers_meta SET value = -1 WHERE key = 'derived_version';`

export const TERM_COUNTS_TABLE_SQL = `
  CREATE TABLE IF NOT EXISTS ${TERM_COUNTS_TABLE} (term TEXT NOT NULL, type TEXT NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (term, type)) WITHOUT ROWID;
  UPDATE ghusers_meta SET value = -1 WHERE key = 'derived_version';`

/** Each distinct term of 1..KEPT_TERM_LENGTH characters (code points, as SQLite's substr counts) in a folded login. */
export function shortTerms (username: string): Set<string> {
  const chars = [...foldTerm(username)]
  const terms = new Set<string>()
  for (let length = 1; length <= KEPT_TERM_LENGTH; length++) {
    for (let start = 0; start + length <= chars.length; start++) terms.add(chars.slice(start, start + length).join(''))
  }
  return terms
}

// ASCII terms are counted in arrays by code: one character c at c, a pair (c, d) at 128 + 128c + d.
const ASCII_TERM_CODES = 128 + 128 * 128

function asciiTerm (code: number): string {
  return code < 128 ? String.fromCharCode(code) : String.fromCharCode((code - 128) >> 7, (code - 128) & 127)
}

/** A type's counts of ASCII terms, and each term's last login counted (a login counts a term once). */
interface AsciiCounts { counts: Int32Array, lastRow: Int32Array }

/**
 * Counts every short term per type, reading the logins once: ASCII logins (GitHub's) by character
 * codes into arrays, any other through shortTerms(), so a million logins take well under a second.
 */
function rebuildTermCounts (db: Database): void {
  const ascii = new Map<string, AsciiCounts>()
  const others = new Map<string, number>()
  const count = (code: number, row: number, { counts, lastRow }: AsciiCounts) => {
    if (lastRow[code] === row) return
    lastRow[code] = row
    counts[code]!++
  }
  let row = 0
  const rows = db.prepare('SELECT CAST(username AS TEXT) AS username, CAST(type AS TEXT) AS type FROM users').raw().iterate() as Iterable<[string, string]>
  for (const [username, type] of rows) {
    row++
    if (/[\u0080-\uffff]/.test(username)) {
      for (const term of shortTerms(username)) {
        const key = JSON.stringify([term, type])
        others.set(key, (others.get(key) ?? 0) + 1)
      }
      continue
    }
    let counts = ascii.get(type)
    if (!counts) ascii.set(type, counts = { counts: new Int32Array(ASCII_TERM_CODES), lastRow: new Int32Array(ASCII_TERM_CODES) })
    let previous = -1
    for (let index = 0; index < username.length; index++) {
      let code = username.charCodeAt(index)
      if (code >= 65 && code <= 90) code += 32
      count(code, row, counts)
      if (previous >= 0) count(128 + 128 * previous + code, row, counts)
      previous = code
    }
  }
  db.exec(`DELETE FROM ${TERM_COUNTS_TABLE}`)
  const insert = db.prepare(`INSERT INTO ${TERM_COUNTS_TABLE} (term, type, count) VALUES (?, ?, ?)
    ON CONFLICT (term, type) DO UPDATE SET count = count + excluded.count`)
  for (const [type, { counts }] of ascii) {
    counts.forEach((value, code) => { if (value) insert.run(asciiTerm(code), type, value) })
  }
  for (const [key, value] of others) {
    const [term, type] = JSON.parse(key) as [string, string]
    insert.run(term, type, value)
  }
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
  rebuildTermCounts(db)
  db.exec(`
    DELETE FROM ${PROFILE_JSON_TABLE};
    ${FILL_PROFILE_JSON_SQL}
    DELETE FROM ghusers_type_counts;
    INSERT INTO ghusers_type_counts (type, count) SELECT type, count(*) FROM users GROUP BY type;
    UPDATE ghusers_meta SET value = (SELECT count(*) FROM users) WHERE key = 'total_count';
    INSERT INTO ${USERNAME_TRIGRAMS} (${USERNAME_TRIGRAMS}) VALUES ('rebuild');
    UPDATE ghusers_meta SET value = (SELECT value FROM ghusers_meta WHERE key = 'data_version')
      WHERE key = 'derived_version';`)
}

/** Whether the derived data was built at the file's current data version. */
export function derivedDataIsCurrent (db: Database): boolean {
  return db.prepare(`SELECT (SELECT value FROM ghusers_meta WHERE key = 'derived_version') =
    (SELECT value FROM ghusers_meta WHERE key = 'data_version')`).pluck().get() === 1
}
