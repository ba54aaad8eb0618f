// Reads profiles from PostgreSQL: each page one statement (one snapshot), every value bound, the
// data version kept in memory and moved on by the database's notifications.
import pg from 'pg'
import createError from 'http-errors'
import type { OrderBy, Profile, ProfilesQuery } from '../../schemas/profiles.js'
import { positionsTable } from '../derivedData.js'
import type { KnownTotal, PageRead, ProfilesSource } from '../profilesSource.js'
import { connectionConfig, isUnreachable } from './connection.js'
import {
  DATA_CHANGED_CHANNEL, FOLDED_USERNAME, postgresOrderSql, PROFILE_TYPE, STATE_SQL, stateOf, type DataState, type StateRow
} from './schema.js'

/** How often the data version is read when no notification came (one lost with a dropped connection). */
export const DATA_VERSION_POLL_MS = 1_000

const FILTER_SQL = {
  username: `${FOLDED_USERNAME} LIKE :usernamePattern ESCAPE '\\'`,
  id: 'u.id = :id',
  type: 'u.type = :type'
} as const
type FilterName = keyof typeof FILTER_SQL
const FILTER_NAMES = Object.keys(FILTER_SQL) as FilterName[]

const COLUMNS = 'u.id, u.username, u.avatar_url, u.type, u.url'

/** A LIKE pattern matching `term` anywhere, folded as usernames are, with %, _ and \ matching themselves. */
function foldedContainsPattern (term: string): string {
  const folded = term.replace(/[A-Z]/g, (char) => char.toLowerCase())
  return `%${folded.replace(/[\\%_]/g, (char) => `\\${char}`)}%`
}

interface Plan {
  /** The unfiltered list by precomputed position, or a scan of an index with OFFSET. */
  access: 'positions' | 'scan'
  /** Kept counts, a count in the same statement, or a total the caller knows. */
  counting: 'kept' | 'count' | 'known'
  filters: FilterName[]
  orderBy: OrderBy
}

interface PageRow extends StateRow { total: number | null, results: string }

/**
 * SELECT of the JSON array of the profiles of rows `u`, in `order` ('[]' for none): each the API's
 * five fields, whatever other columns another tool added to users, with no spaces, as the file's
 * JSON (json_agg would put a line break between rows, json_build_object spaces around colons).
 */
function jsonArraySql (order: string): string {
  return `SELECT '[' || coalesce(string_agg(row_to_json((${COLUMNS})::${PROFILE_TYPE})::text, ',' ORDER BY ${order}), '') || ']'`
}

function pageSql ({ access, counting, filters, orderBy }: Plan): string {
  const where = filters.map((name) => FILTER_SQL[name])
  const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : ''
  const results = access === 'positions'
    ? `${jsonArraySql('p.rank')} FROM (SELECT rank, id FROM ${positionsTable(orderBy)} ` +
      'WHERE rank > :offset ORDER BY rank LIMIT :limit) p JOIN users u ON u.id = p.id'
    : `${jsonArraySql(postgresOrderSql(orderBy))} FROM (SELECT ${COLUMNS} FROM users u ` +
      `${whereSql} ORDER BY ${postgresOrderSql(orderBy)} LIMIT :limit OFFSET :offset) u`
  const total = counting === 'known' || (counting === 'kept' && !filters.length)
    ? 'NULL::bigint'
    : counting === 'kept'
      ? 'coalesce((SELECT count FROM ghusers_type_counts WHERE type = :type), 0)'
      : `(SELECT count(*) FROM users u ${whereSql})`
  return `SELECT s.*, ${total} AS total, (${results}) AS results FROM (${STATE_SQL}) s`
}

/** `sql` with its :names as $1, $2…, and the names in that order (casts, `::text`, left alone). */
function numbered (sql: string): { text: string, names: string[] } {
  const names: string[] = []
  const text = sql.replace(/(?<!:):([a-zA-Z]+)/g, (_match, name: string) => {
    if (!names.includes(name)) names.push(name)
    return `$${names.indexOf(name) + 1}`
  })
  return { text, names }
}

export interface PostgresProfilesOptions {
  /** How often the data version is read without a notification (DATA_VERSION_POLL_MS). */
  pollMs?: number
  /** Called when the notifications connection fails; the poll carries on and it is opened again. */
  onListenError?: (error: Error) => void
}

/**
 * The PostgreSQL twin of the SQLite ProfilesRepository: the same plans (positions and kept counts
 * while the derived data matches the data version, scans otherwise), the same answers.
 */
export class PostgresProfilesRepository implements ProfilesSource {
  private readonly statements = new Map<string, { name: string, text: string, names: string[] }>()
  private listener: pg.Client | undefined
  private poll: NodeJS.Timeout | undefined
  private refreshing = false
  private refreshAgain = false
  private closed = false

  private constructor (
    private readonly pool: pg.Pool,
    private readonly url: string,
    private state: DataState,
    private readonly options: PostgresProfilesOptions
  ) {}

  /** Reads the data version and starts following it: notifications, and a poll behind them. */
  static async open (pool: pg.Pool, url: string, options: PostgresProfilesOptions = {}): Promise<PostgresProfilesRepository> {
    const { rows } = await pool.query<StateRow>(STATE_SQL)
    const repository = new PostgresProfilesRepository(pool, url, stateOf(rows[0]!), options)
    await repository.listen()
    repository.poll = setInterval(() => repository.refresh(), options.pollMs ?? DATA_VERSION_POLL_MS).unref()
    return repository
  }

  dataVersion (): string {
    return this.state.token
  }

  async readPage (query: ProfilesQuery, known?: KnownTotal): Promise<PageRead> {
    const read = await this.tryPlan(query, this.state.derivedCurrent, known)
    if (read) return read
    // The derived data, or the known total, did not match the snapshot read: read again, counting
    // with scans (a plan that assumes nothing, so it always answers).
    return (await this.tryPlan(query, false))!
  }

  async findById (id: number): Promise<Profile | undefined> {
    const { rows } = await this.query<Profile>({
      name: 'ghusers_profile_by_id', text: `SELECT ${COLUMNS} FROM users u WHERE u.id = $1`, values: [id]
    })
    return rows[0]
  }

  async listAfterId (since: number, limit: number): Promise<Profile[]> {
    const { rows } = await this.query<Profile>({
      name: 'ghusers_profiles_after_id', text: `SELECT ${COLUMNS} FROM users u WHERE u.id > $1 ORDER BY u.id LIMIT $2`, values: [since, limit]
    })
    return rows
  }

  async findByLogin (login: string): Promise<Profile | undefined> {
    // The expression of users_username_folded, so that the index finds the candidates.
    const { rows } = await this.query<Profile>({
      name: 'ghusers_profile_by_login',
      text: `SELECT ${COLUMNS} FROM users u WHERE ${FOLDED_USERNAME} COLLATE "C" = ghusers_fold($1) COLLATE "C" ` +
        'ORDER BY u.username = $1 DESC, u.id LIMIT 1',
      values: [login]
    })
    return rows[0]
  }

  async countAll (): Promise<number> {
    if (this.state.derivedCurrent) return this.state.totalCount
    return (await this.readPage({ page: 1, pagination: 1, order_by: 'id' })).total
  }

  async close (): Promise<void> {
    this.closed = true
    clearInterval(this.poll)
    await this.listener?.end().catch(() => {})
  }

  /** A statement on the pool; PostgreSQL out of reach is a 503 whose message the client sees. */
  private async query<Row extends pg.QueryResultRow> (statement: pg.QueryConfig): Promise<pg.QueryResult<Row>> {
    try {
      return await this.pool.query<Row>(statement)
    } catch (error) {
      if (isUnreachable(error)) {
        throw createError(503, 'The database cannot be reached just now; please try again shortly', { expose: true, cause: error })
      }
      throw error
    }
  }

  /**
   * Takes a state read from the database unless an older one: a page read from a snapshot taken
   * before a commit may finish after the notification of it. The version only grows in one database.
   */
  private adopt (state: DataState): void {
    const known = this.state
    const newer = state.databaseId !== known.databaseId || state.dataVersion > known.dataVersion ||
      (state.dataVersion === known.dataVersion && state.derivedCurrent && !known.derivedCurrent)
    if (newer) this.state = state
  }

  /** Reads the state again; a call while one is under way makes it run once more after (a burst of notifications, one read). */
  private refresh (): void {
    if (this.refreshing) {
      this.refreshAgain = true
      return
    }
    this.refreshing = true
    void (async () => {
      do {
        this.refreshAgain = false
        try {
          const { rows } = await this.pool.query<StateRow>(STATE_SQL)
          this.adopt(stateOf(rows[0]!))
          if (!this.listener) await this.listen()
        } catch {
          // The database is away: pages fail on their own meanwhile, and the next poll tries again.
        }
      } while (this.refreshAgain && !this.closed)
      this.refreshing = false
    })()
  }

  /** Opens the connection that LISTENs for commits; only refresh() and open() call it, one at a time. */
  private async listen (): Promise<void> {
    if (this.closed) return
    const client = new pg.Client(connectionConfig(this.url))
    const drop = (error?: Error) => {
      if (this.listener === client) this.listener = undefined
      client.end().catch(() => {})
      if (error && !this.closed) this.options.onListenError?.(error)
    }
    client.on('error', drop)
    // Ended by the server (a restart) without an error: the next poll opens another.
    client.on('end', () => drop())
    client.on('notification', () => this.refresh())
    try {
      await client.connect()
      await client.query(`LISTEN ${DATA_CHANGED_CHANNEL}`)
      if (this.closed) drop()
      else this.listener = client
    } catch (error) {
      drop(error as Error)
    }
  }

  /** Reads the page with one plan; undefined when the plan's assumptions did not hold in the snapshot. */
  private async tryPlan (query: ProfilesQuery, useDerived: boolean, known?: KnownTotal): Promise<PageRead | undefined> {
    const plan = this.plan(query, useDerived, known !== undefined)
    const statement = this.statement(plan)
    const parameters: Record<string, unknown> = {
      limit: query.pagination,
      offset: (query.page - 1) * query.pagination,
      usernamePattern: query.username === undefined ? undefined : foldedContainsPattern(query.username),
      id: query.id,
      type: query.type
    }
    const { rows } = await this.query<PageRow>({
      name: statement.name, text: statement.text, values: statement.names.map((name) => parameters[name])
    })
    const row = rows[0]!
    const state = stateOf(row)
    const dataVersion = state.token
    if (!state.derivedCurrent && (plan.access === 'positions' || plan.counting === 'kept')) return undefined
    if (plan.counting === 'known' && known!.dataVersion !== dataVersion) return undefined
    this.adopt(state)
    const total = row.total ?? (plan.counting === 'kept' ? state.totalCount : known!.total)
    return { dataVersion, total, resultsJson: row.results }
  }

  private plan (query: ProfilesQuery, useDerived: boolean, totalKnown: boolean): Plan {
    const filters = FILTER_NAMES.filter((name) => query[name] !== undefined)
    const onlyType = filters.length === 1 && filters[0] === 'type'
    return {
      access: useDerived && !filters.length ? 'positions' : 'scan',
      counting: useDerived && (!filters.length || onlyType) ? 'kept' : totalKnown ? 'known' : 'count',
      filters,
      orderBy: query.order_by
    }
  }

  /** The plan's statement, prepared once per connection under its own name. */
  private statement (plan: Plan) {
    const key = `${plan.access}:${plan.counting}:${plan.filters.join('+')}:${plan.orderBy}`
    let statement = this.statements.get(key)
    if (!statement) {
      statement = { name: `ghusers_page_${this.statements.size}`, ...numbered(pageSql(plan)) }
      this.statements.set(key, statement)
    }
    return statement
  }
}
