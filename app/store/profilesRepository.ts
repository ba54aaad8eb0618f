// Reads profiles from the SQLite file: every statement prepared once, every value bound.
import type { Database, Statement } from 'better-sqlite3'
import type { Profile, ProfilesQuery } from '../schemas/profiles.js'
import { ORDER_BY_VALUES } from '../schemas/profiles.js'
import { ORDER_SQL, positionsTable, USERNAME_TRIGRAMS } from './derivedData.js'

export type ProfileFilters = Pick<ProfilesQuery, 'username' | 'id' | 'type'>

export interface ProfilesSlice {
  /** The data version the slice was read at (see dataVersion()). */
  dataVersion: string
  total: number
  results: Profile[]
}

const FILTER_SQL = {
  username: "u.username LIKE @usernamePattern ESCAPE '\\'",
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

/** The key of one combination of filters, e.g. "username+type" ("" for none). */
function filterKey (names: readonly FilterName[]): string {
  return names.join('+')
}

function everyFilterCombination (): FilterName[][] {
  return Array.from({ length: 1 << FILTER_NAMES.length }, (_, mask) =>
    FILTER_NAMES.filter((_name, bit) => mask & (1 << bit)))
}

export interface KnownTotal { dataVersion: string, total: number }

interface Plan { key: string, params: Record<string, unknown>, filtered: boolean, onlyType: boolean, trigrams: boolean }

/**
 * Three ways to a page, picked per query: the unfiltered list seeks by precomputed
 * position (flat at any depth); a username term of 3+ characters goes through the
 * trigram index; everything else scans an index with OFFSET. Positions, counts and
 * trigrams are used only while they match the data version; after another tool's write
 * the scans answer, correctly, until the next seed or start-up rebuilds them.
 */
export class ProfilesRepository {
  private readonly scanCount = new Map<string, Statement>()
  private readonly scanPage = new Map<string, Statement>()
  private readonly trigramCount = new Map<string, Statement>()
  private readonly trigramPage = new Map<string, Statement>()
  private readonly positionPage = new Map<string, Statement>()
  private readonly byId: Statement
  private readonly typeCount: Statement
  private readonly meta: Statement
  private readonly sqliteDataVersion: Statement
  private readonly readSlice: (query: ProfilesQuery, known?: KnownTotal) => ProfilesSlice
  private seenSqliteVersion = -1
  private version = ''
  private derivedCurrent = false
  private totalCount = 0

  constructor (db: Database) {
    for (const names of everyFilterCombination()) {
      const where = names.map((name) => FILTER_SQL[name])
      const scanWhere = where.length ? `WHERE ${where.join(' AND ')}` : ''
      this.scanCount.set(filterKey(names), db.prepare(`SELECT count(*) FROM users u ${scanWhere}`).pluck())
      if (names.includes('username')) {
        const trigramWhere = `WHERE ${[TRIGRAM_MATCH, ...where].join(' AND ')}`
        this.trigramCount.set(filterKey(names), db.prepare(`SELECT count(*) FROM ${TRIGRAM_SOURCE} ${trigramWhere}`).pluck())
        for (const orderBy of ORDER_BY_VALUES) {
          // The trigram index yields rowids in ascending order: id order needs no sort.
          const order = orderBy === 'id' ? 't.rowid' : ORDER_SQL[orderBy]
          this.trigramPage.set(`${filterKey(names)}:${orderBy}`, db.prepare(
            `SELECT ${COLUMNS} FROM ${TRIGRAM_SOURCE} ${trigramWhere} ORDER BY ${order} LIMIT @limit OFFSET @offset`))
        }
      }
      for (const orderBy of ORDER_BY_VALUES) {
        this.scanPage.set(`${filterKey(names)}:${orderBy}`, db.prepare(
          `SELECT ${COLUMNS} FROM users u ${scanWhere} ORDER BY ${ORDER_SQL[orderBy]} LIMIT @limit OFFSET @offset`))
      }
    }
    for (const orderBy of ORDER_BY_VALUES) {
      this.positionPage.set(orderBy, db.prepare(`SELECT ${COLUMNS} FROM ${positionsTable(orderBy)} p
        JOIN users u ON u.id = p.id WHERE p.rank > @offset ORDER BY p.rank LIMIT @limit`))
    }
    this.byId = db.prepare(`SELECT ${COLUMNS} FROM users u WHERE u.id = ?`)
    this.typeCount = db.prepare('SELECT coalesce((SELECT count FROM ghusers_type_counts WHERE type = ?), 0)').pluck()
    // Changes whenever another connection (the seed CLI, any tool) commits to the file.
    this.sqliteDataVersion = db.prepare('PRAGMA data_version').pluck()
    this.meta = db.prepare("SELECT key, value FROM ghusers_meta WHERE key IN ('file_id', 'data_version', 'derived_version', 'total_count')")
    // One read transaction: the version, the count and the rows come from one snapshot.
    this.readSlice = db.transaction((query: ProfilesQuery, known?: KnownTotal) => {
      const dataVersion = this.dataVersion()
      const plan = this.plan(query)
      const total = known?.dataVersion === dataVersion ? known.total : this.count(query, plan)
      const offset = (query.page - 1) * query.pagination
      const results = offset < total ? this.rows(query, plan, offset) : []
      return { dataVersion, total, results }
    })
  }

  /**
   * A token that changes whenever the users table changes: the file's random id and its
   * write counter. It is the same for every process serving the same file.
   */
  dataVersion (): string {
    const sqliteVersion = this.sqliteDataVersion.get() as number
    if (sqliteVersion !== this.seenSqliteVersion) {
      this.seenSqliteVersion = sqliteVersion
      const meta = new Map((this.meta.all() as Array<{ key: string, value: unknown }>).map(({ key, value }) => [key, value]))
      this.version = `${String(meta.get('file_id'))}.${String(meta.get('data_version'))}`
      this.derivedCurrent = meta.get('derived_version') === meta.get('data_version')
      this.totalCount = Number(meta.get('total_count'))
    }
    return this.version
  }

  /**
   * The total matching the filters and the rows of the requested page. A caller that
   * already knows the total for these filters at some version passes it: it is used
   * when that is still the version read.
   */
  findPage (query: ProfilesQuery, known?: KnownTotal): ProfilesSlice {
    return this.readSlice(query, known)
  }

  countAll (): number {
    this.dataVersion()
    return this.derivedCurrent ? this.totalCount : this.scanCount.get('')!.get() as number
  }

  findById (id: number): Profile | undefined {
    return this.byId.get(id) as Profile | undefined
  }

  private plan (filters: ProfileFilters): Plan {
    const params: Record<string, unknown> = {}
    if (filters.username !== undefined) params.usernamePattern = containsPattern(filters.username)
    if (filters.id !== undefined) params.id = filters.id
    if (filters.type !== undefined) params.type = filters.type
    const names = FILTER_NAMES.filter((name) => filters[name] !== undefined)
    const trigrams = this.derivedCurrent && filters.username !== undefined &&
      [...filters.username].length >= TRIGRAM_LENGTH
    if (trigrams) params.trigramQuery = trigramPhrase(filters.username!)
    return { key: filterKey(names), params, filtered: names.length > 0, onlyType: filterKey(names) === 'type', trigrams }
  }

  private count (filters: ProfileFilters, plan: Plan): number {
    if (this.derivedCurrent && !plan.filtered) return this.totalCount
    if (this.derivedCurrent && plan.onlyType) return this.typeCount.get(filters.type) as number
    const statement = plan.trigrams ? this.trigramCount.get(plan.key)! : this.scanCount.get(plan.key)!
    return statement.get(plan.params) as number
  }

  private rows (query: ProfilesQuery, plan: Plan, offset: number): Profile[] {
    const paging = { limit: query.pagination, offset }
    if (this.derivedCurrent && !plan.filtered) return this.positionPage.get(query.order_by)!.all(paging) as Profile[]
    const statements = plan.trigrams ? this.trigramPage : this.scanPage
    return statements.get(`${plan.key}:${query.order_by}`)!.all({ ...plan.params, ...paging }) as Profile[]
  }
}
