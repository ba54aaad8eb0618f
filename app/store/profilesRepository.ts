// Reads profiles from the SQLite file: statements prepared once, every value bound, each page one statement.
import type { Database, Statement } from 'better-sqlite3'
import type { OrderBy, Profile, ProfilesQuery } from '../schemas/profiles.js'
import type { KnownTotal, PageRead, ProfilesSource } from './profilesSource.js'
import { orderSql, positionsTable, PROFILE_JSON_TABLE, profileJsonSql, USERNAME_TRIGRAMS } from './derivedData.js'

export type ProfileFilters = Pick<ProfilesQuery, 'username' | 'id' | 'type'>

// SQLite (built with STAT4, as better-sqlite3 is) compiles a statement again on every run when
// its plan looked at a bound value: a bare parameter in LIMIT or as a LIKE pattern. Written as
// expressions, `(@limit + 0)` and `(@usernamePattern || '')`, they are opaque to the planner and
// the prepared statement is reused as it is (measured here: 21 µs a page down to 8).
const LIMIT = 'LIMIT (@limit + 0)'

const FILTER_SQL = {
  username: "u.username LIKE (@usernamePattern || '') ESCAPE '\\'",
  id: 'u.id = @id',
  type: 'u.type = @type'
} as const
type FilterName = keyof typeof FILTER_SQL
const FILTER_NAMES = Object.keys(FILTER_SQL) as FilterName[]

const COLUMNS = 'u.id, u.username, u.avatar_url, u.type, u.url'
// The trigram index answers terms of at least this many characters.
const TRIGRAM_LENGTH = 3
// Candidates from the trigram index; LIKE then keeps the contract's exact semantics.
const TRIGRAM_SOURCE = `${USERNAME_TRIGRAMS} t JOIN users u ON u.id = t.rowid`
const TRIGRAM_MATCH = `t.${USERNAME_TRIGRAMS} MATCH @trigramQuery`

/** A LIKE pattern matching `term` anywhere, with %, _ and \ matching themselves. */
export function containsPattern (term: string): string {
  return `%${term.replace(/[\\%_]/g, (char) => `\\${char}`)}%`
}

/** An FTS5 query for `term` as one literal phrase. */
function trigramPhrase (term: string): string {
  return `"${term.replaceAll('"', '""')}"`
}

/** How a page is read: by precomputed position, through the trigram index, or by a scan. */
type Access = 'positions' | 'trigrams' | 'scan'
/** How its total is known: kept counts, a count in the same statement, or a total the caller knows. */
type Counting = 'kept' | 'count' | 'known'
/** Where its profiles' JSON comes from: the kept table (derived data), or json_object on the rows. */
type ProfileJson = 'kept' | 'built'

interface Plan {
  access: Access
  counting: Counting
  profileJson: ProfileJson
  filters: FilterName[]
  orderBy: OrderBy
}

interface FileMeta { file_id: string, data_version: number, derived_version: number, total_count: number }
interface PageRow extends FileMeta { total: number | null, results: string }

/** The file's metadata as columns of one row (each a lookup of ghusers_meta's primary key). */
const META_COLUMNS = (['file_id', 'data_version', 'derived_version', 'total_count'] as const)
  .map((key) => `(SELECT value FROM ghusers_meta WHERE key = '${key}') AS ${key}`).join(', ')

/** The data version's token (the file's random id and its write counter), and whether the derived data matches it. */
function fileState (meta: FileMeta): { dataVersion: string, derivedCurrent: boolean } {
  return { dataVersion: `${meta.file_id}.${meta.data_version}`, derivedCurrent: meta.derived_version === meta.data_version }
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

/** A JSON array of the kept profile texts `json` yields over `from`, in its rows' order ('[]' for none). */
function keptJsonArraySql (json: string, from: string): string {
  return `SELECT '[' || coalesce(group_concat(${json}, ','), '') || ']' FROM ${from}`
}

/** The rows of a filtered page (or of any page without derived data), as a subquery over `users u`. */
function rowsSql ({ access, filters, orderBy }: Plan): string {
  const where = filters.map((name) => FILTER_SQL[name])
  if (access === 'trigrams') {
    // The trigram index yields rowids in ascending order: id order needs no sort.
    const order = orderBy === 'id' ? 't.rowid' : orderSql(orderBy, 'u')
    return `SELECT ${COLUMNS} FROM ${TRIGRAM_SOURCE} WHERE ${[TRIGRAM_MATCH, ...where].join(' AND ')} ` +
      `ORDER BY ${order} ${LIMIT} OFFSET @offset`
  }
  const scanWhere = where.length ? `WHERE ${where.join(' AND ')}` : ''
  return `SELECT ${COLUMNS} FROM users u ${scanWhere} ORDER BY ${orderSql(orderBy, 'u')} ${LIMIT} OFFSET @offset`
}

function totalSql ({ access, counting, filters }: Plan): string {
  if (counting === 'known') return 'NULL'
  if (counting === 'kept') {
    // Unfiltered: the meta's total_count, read with the rest of the meta.
    return filters.length ? 'coalesce((SELECT count FROM ghusers_type_counts WHERE type = @type), 0)' : 'NULL'
  }
  const where = filters.map((name) => FILTER_SQL[name])
  if (access === 'trigrams') return `(SELECT count(*) FROM ${TRIGRAM_SOURCE} WHERE ${[TRIGRAM_MATCH, ...where].join(' AND ')})`
  return `(SELECT count(*) FROM users u${where.length ? ` WHERE ${where.join(' AND ')}` : ''})`
}

/**
 * One statement per page: the data version, whether the derived data matches it, the total and
 * the rows as a JSON array. One statement is one read transaction, so all of it comes from one
 * snapshot, even while a seed commits; and SQLite assembles the JSON (from the profiles' kept
 * JSON while the derived data is current), which costs far less than handing each value to
 * JavaScript and serialising it there.
 */
function pageSql (plan: Plan): string {
  // Rows come to the aggregates in their subquery's order; an ORDER BY inside json_group_array would sort
  // them again in a temporary B-tree (about a third of the statement's time).
  let results: string
  if (plan.access === 'positions') {
    results = positionsResultsSql(plan.orderBy)
  } else if (plan.profileJson === 'kept') {
    // A lookup per row, not a join: the aggregate must take the rows in their subquery's order.
    const json = `(SELECT json FROM ${PROFILE_JSON_TABLE} WHERE id = r.id)`
    results = keptJsonArraySql(json, `(${rowsSql(plan)}) r`)
  } else {
    results = `SELECT json_group_array(${profileJsonSql('r')}) FROM (${rowsSql(plan)}) r`
  }
  return `SELECT ${META_COLUMNS}, ${totalSql(plan)} AS total, (${results}) AS results`
}

/**
 * Three ways to a page, picked per query: the unfiltered list by precomputed position (flat at
 * any depth); a username term of 3+ characters through the trigram index; anything else by a scan
 * of an index with OFFSET. Positions, counts, trigrams and the kept JSON are used only while they
 * match the data version; after another tool's write the scans answer, with JSON built from the
 * rows, correctly, until the next seed or start-up rebuilds them.
 */
export class ProfilesRepository implements ProfilesSource {
  private readonly statements = new Map<string, Statement>()
  private readonly byId: Statement
  private readonly afterId: Statement
  private readonly byLogin: Statement
  private readonly meta: Statement
  private readonly sqliteDataVersion: Statement
  private seenSqliteVersion = -1
  private version = ''
  private derivedCurrent = false
  private totalCount = 0

  constructor (private readonly db: Database) {
    this.byId = db.prepare(`SELECT ${COLUMNS} FROM users u WHERE u.id = ?`)
    this.afterId = db.prepare(`SELECT ${COLUMNS} FROM users u WHERE u.id > @since ORDER BY u.id ${LIMIT}`)
    // users_username_nocase finds the candidates; GitHub's logins differ in more than case, another tool's may not.
    this.byLogin = db.prepare(`SELECT ${COLUMNS} FROM users u WHERE u.username = @login COLLATE NOCASE ` +
      'ORDER BY u.username = @login DESC, u.id LIMIT 1')
    // Changes whenever another connection (the seed CLI, any tool) commits to the file.
    this.sqliteDataVersion = db.prepare('PRAGMA data_version').pluck()
    this.meta = db.prepare(`SELECT ${META_COLUMNS}`)
  }

  /**
   * A token that changes whenever the users table changes: the file's random id and its
   * write counter. It is the same for every process serving the same file.
   */
  dataVersion (): string {
    const sqliteVersion = this.sqliteDataVersion.get() as number
    if (sqliteVersion !== this.seenSqliteVersion) {
      this.seenSqliteVersion = sqliteVersion
      const meta = this.meta.get() as FileMeta
      const { dataVersion, derivedCurrent } = fileState(meta)
      this.version = dataVersion
      this.derivedCurrent = derivedCurrent
      this.totalCount = meta.total_count
    }
    return this.version
  }

  /**
   * The total matching the filters and the rows of the requested page. A caller that already
   * knows the total for these filters at some data version passes it: it is used when the page
   * is read at that same version.
   */
  readPage (query: ProfilesQuery, known?: KnownTotal): PageRead {
    const read = this.tryPlan(query, this.derivedCurrent, known)
    if (read) return read
    // The derived data did not match the snapshot read (another tool wrote): read again without it.
    return this.tryPlan(query, false, known) ?? this.tryPlan(query, false)!
  }

  findById (id: number): Profile | undefined {
    return this.byId.get(id) as Profile | undefined
  }

  listAfterId (since: number, limit: number): Profile[] {
    return this.afterId.all({ since, limit }) as Profile[]
  }

  findByLogin (login: string): Profile | undefined {
    return this.byLogin.get({ login }) as Profile | undefined
  }

  /** Every account in the file. */
  countAll (): number {
    this.dataVersion()
    return this.derivedCurrent ? this.totalCount : this.readPage({ page: 1, pagination: 1, order_by: 'id' }).total
  }

  /** Reads the page with one plan; undefined when the plan's assumptions did not hold in the snapshot. */
  private tryPlan (query: ProfilesQuery, useDerived: boolean, known?: KnownTotal): PageRead | undefined {
    const plan = this.plan(query, useDerived, known !== undefined)
    const row = this.statement(plan).get(this.parameters(query, plan)) as PageRow
    const { dataVersion, derivedCurrent } = fileState(row)
    const reliesOnDerived = plan.access !== 'scan' || plan.counting === 'kept' || plan.profileJson === 'kept'
    if (!derivedCurrent && reliesOnDerived) return undefined
    if (plan.counting === 'known' && known!.dataVersion !== dataVersion) return undefined
    this.derivedCurrent = derivedCurrent
    const total = row.total ?? (plan.counting === 'kept' ? row.total_count : known!.total)
    return { dataVersion, total, resultsJson: row.results }
  }

  private plan (filters: ProfileFilters & { order_by: OrderBy }, useDerived: boolean, totalKnown: boolean): Plan {
    const names = FILTER_NAMES.filter((name) => filters[name] !== undefined)
    const onlyType = names.length === 1 && names[0] === 'type'
    const trigrams = useDerived && filters.username !== undefined && [...filters.username].length >= TRIGRAM_LENGTH
    const access: Access = useDerived && !names.length ? 'positions' : trigrams ? 'trigrams' : 'scan'
    const counting: Counting = useDerived && (!names.length || onlyType) ? 'kept' : totalKnown ? 'known' : 'count'
    return { access, counting, profileJson: useDerived ? 'kept' : 'built', filters: names, orderBy: filters.order_by }
  }

  private statement (plan: Plan): Statement {
    const key = `${plan.access}:${plan.counting}:${plan.profileJson}:${plan.filters.join('+')}:${plan.orderBy}`
    let statement = this.statements.get(key)
    if (!statement) {
      statement = this.db.prepare(pageSql(plan))
      this.statements.set(key, statement)
    }
    return statement
  }

  private parameters (query: ProfilesQuery, plan: Plan): Record<string, unknown> {
    const params: Record<string, unknown> = { limit: query.pagination, offset: (query.page - 1) * query.pagination }
    if (query.username !== undefined) params.usernamePattern = containsPattern(query.username)
    if (query.id !== undefined) params.id = query.id
    if (query.type !== undefined) params.type = query.type
    if (plan.access === 'trigrams') params.trigramQuery = trigramPhrase(query.username!)
    return params
  }
}
