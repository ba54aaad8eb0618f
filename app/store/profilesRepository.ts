// Reads profiles from the SQLite file: every statement prepared once, every value bound.
import type { Database, Statement } from 'better-sqlite3'
import type { OrderBy, Profile, ProfilesQuery } from '../schemas/profiles.js'
import { ORDER_BY_VALUES } from '../schemas/profiles.js'

export type ProfileFilters = Pick<ProfilesQuery, 'username' | 'id' | 'type'>

export interface ProfilesSlice {
  /** The data version the slice was read at (see dataVersion()). */
  dataVersion: string
  total: number
  results: Profile[]
}

// User input never reaches SQL text: it picks one of these fixed fragments.
const ORDER_SQL: Record<OrderBy, string> = {
  id: 'id ASC',
  '-id': 'id DESC',
  username: 'username COLLATE NOCASE ASC, id ASC',
  '-username': 'username COLLATE NOCASE DESC, id ASC',
  type: 'type ASC, id ASC',
  '-type': 'type DESC, id ASC'
}

const FILTER_SQL = {
  username: "username LIKE @usernamePattern ESCAPE '\\'",
  id: 'id = @id',
  type: 'type = @type'
} as const
type FilterName = keyof typeof FILTER_SQL
const FILTER_NAMES = Object.keys(FILTER_SQL) as FilterName[]

const COLUMNS = 'id, username, avatar_url, type, url'

/** A LIKE pattern matching `term` anywhere, with %, _ and \ matching themselves. */
export function containsPattern (term: string): string {
  return `%${term.replace(/[\\%_]/g, (char) => `\\${char}`)}%`
}

/** The key of one combination of filters, e.g. "username+type" ("" for none). */
function filterKey (names: FilterName[]): string {
  return names.join('+')
}

function everyFilterCombination (): FilterName[][] {
  return Array.from({ length: 1 << FILTER_NAMES.length }, (_, mask) =>
    FILTER_NAMES.filter((_name, bit) => mask & (1 << bit)))
}

export class ProfilesRepository {
  private readonly countStatements = new Map<string, Statement>()
  private readonly pageStatements = new Map<string, Statement>()
  private readonly byId: Statement
  private readonly sqliteDataVersion: Statement
  private readonly metaVersion: Statement
  private readonly readSlice: (query: ProfilesQuery) => ProfilesSlice
  private seenSqliteVersion = -1
  private version = ''

  constructor (private readonly db: Database) {
    for (const names of everyFilterCombination()) {
      const where = names.length ? `WHERE ${names.map((name) => FILTER_SQL[name]).join(' AND ')}` : ''
      this.countStatements.set(filterKey(names),
        db.prepare(`SELECT count(*) FROM users ${where}`).pluck())
      for (const orderBy of ORDER_BY_VALUES) {
        this.pageStatements.set(`${filterKey(names)}:${orderBy}`,
          db.prepare(`SELECT ${COLUMNS} FROM users ${where} ORDER BY ${ORDER_SQL[orderBy]} LIMIT @limit OFFSET @offset`))
      }
    }
    this.byId = db.prepare(`SELECT ${COLUMNS} FROM users WHERE id = ?`)
    // Changes whenever another connection (the seed CLI, any tool) commits to the file.
    this.sqliteDataVersion = db.prepare('PRAGMA data_version').pluck()
    this.metaVersion = db.prepare(
      "SELECT (SELECT value FROM ghusers_meta WHERE key = 'file_id') || '.' || " +
      "(SELECT value FROM ghusers_meta WHERE key = 'data_version')").pluck()
    // One read transaction: the count and the rows come from the same snapshot.
    this.readSlice = db.transaction((query: ProfilesQuery) => {
      const { names, params } = this.bindFilters(query)
      const total = this.countStatements.get(filterKey(names))!.get(params) as number
      const offset = (query.page - 1) * query.pagination
      const results = offset < total
        ? this.pageStatements.get(`${filterKey(names)}:${query.order_by}`)!
          .all({ ...params, limit: query.pagination, offset }) as Profile[]
        : []
      return { dataVersion: this.dataVersion(), total, results }
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
      this.version = this.metaVersion.get() as string
    }
    return this.version
  }

  /** The total matching the filters and the rows of the requested page. */
  findPage (query: ProfilesQuery): ProfilesSlice {
    return this.readSlice(query)
  }

  findById (id: number): Profile | undefined {
    return this.byId.get(id) as Profile | undefined
  }

  private bindFilters (filters: ProfileFilters): { names: FilterName[], params: Record<string, unknown> } {
    const params: Record<string, unknown> = {}
    if (filters.username !== undefined) params.usernamePattern = containsPattern(filters.username)
    if (filters.id !== undefined) params.id = filters.id
    if (filters.type !== undefined) params.type = filters.type
    const names = FILTER_NAMES.filter((name) => filters[name] !== undefined)
    return { names, params }
  }
}
