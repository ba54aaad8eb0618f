// Reads profiles from PostgreSQL: each page one statement (one snapshot), every value bound, the
// data version kept in memory and moved on by the database's notifications.
import pg from 'pg'
import createError from 'http-errors'
import type { Profile } from '../../schemas/profiles.js'
import {
  pageEnd, planName, planPage, planSearchPage, planValues, rowsBefore, searchLookups, type Mark, type PageQuery, type Plan, type SearchLookupRow
} from '../profilesPlan.js'
import type { KnownTotal, PageRead, ProfilesSource } from '../profilesSource.js'
import { connectionConfig, isUnreachable } from './connection.js'
import { COLUMNS, foldedContainsPattern, numbered, pageSql, totalFirstSql, TRIGRAMS } from './pageSql.js'
import { DATA_CHANGED_CHANNEL, FOLDED_USERNAME, STATE_SQL, stateOf, type DataState, type StateRow } from './schema.js'

/** How often the data version is read when no notification came (one lost with a dropped connection). */
export const DATA_VERSION_POLL_MS = 1_000

interface PageRow extends StateRow { total: number | null, results: string }
interface TotalRow extends StateRow, SearchLookupRow { total: number | null }
/** A statement's text with $1, $2…, the names of its values in that order, and its prepared name if it is kept prepared. */
interface Statement { name?: string, text: string, names: string[] }

export interface PostgresProfilesOptions {
  /** How often the data version is read without a notification (DATA_VERSION_POLL_MS). */
  pollMs?: number
  /** Called when the notifications connection fails; the poll carries on and it is opened again. */
  onListenError?: (error: Error) => void
}

/**
 * Pages as the shared plan reads them (profilesPlan.ts), in PostgreSQL's words: positions and kept
 * counts while the derived data matches the data version, scans otherwise; the same answers as the file.
 */
export class PostgresProfilesRepository implements ProfilesSource {
  private readonly statements = new Map<string, Statement>()
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

  async readPage (query: PageQuery, known?: KnownTotal): Promise<PageRead> {
    if (query.username !== undefined && this.state.derivedCurrent) {
      const read = await this.readSearchPage(query, known)
      if (read) return read
    }
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
    // PostgreSQL's text cannot hold a NUL, so no login here has one.
    if (login.includes('\0')) return undefined
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

  /**
   * A search's page: its total first, which picks how the page is read (a rare term's listed ids, a
   * common one's last mark before the page, a late page from the end); undefined when the derived
   * data did not match, or the data changed between the two statements.
   */
  private async readSearchPage (query: PageQuery, known?: KnownTotal): Promise<PageRead | undefined> {
    const options = { derived: true, trigrams: TRIGRAMS }
    let first = await this.totalFirst(query, planPage(query, { ...options, totalKnown: known !== undefined }))
    if (first.total === null && known!.dataVersion !== stateOf(first).token) {
      first = await this.totalFirst(query, planPage(query, { ...options, totalKnown: false }))
    }
    const state = stateOf(first)
    if (!state.derivedCurrent) return undefined
    const total = first.total ?? known!.total
    const search = planSearchPage(query, total, first, { ...options, listRows: state.totalCount })
    if (!search) return { dataVersion: state.token, total, ...pageEnd(query, total, '[]', state.token) }
    const { plan, mark } = search
    const rankBefore = rowsBefore(query, state.token)
    const row = await this.run<PageRow>(this.statement(plan, () => pageSql(plan, true), 'planned'), this.values(query, plan, total, mark, rankBefore))
    if (stateOf(row).token !== state.token || !row.derived_current) return undefined
    this.adopt(state)
    return { dataVersion: state.token, total, ...pageEnd(query, total, row.results, state.token, rankBefore) }
  }

  private async totalFirst (query: PageQuery, plan: Plan): Promise<TotalRow> {
    const { listable, markable, values } = searchLookups(query, plan)
    const part = `total${listable ? ':listable' : ''}${markable ? ':markable' : ''}`
    const statement = this.statement(plan, () => totalFirstSql(plan, listable, markable), part)
    return await this.run<TotalRow>(statement, { ...this.values(query, plan), ...values })
  }

  /**
   * Reads the page with one plan; undefined when the plan's assumptions did not hold in the snapshot.
   * Planned without the term's total, it sorts no candidates (the term may be held by most logins):
   * PostgreSQL chooses how to find the matches.
   */
  private async tryPlan (query: PageQuery, derived: boolean, known?: KnownTotal): Promise<PageRead | undefined> {
    const plan = planPage(query, { derived, totalKnown: known !== undefined, trigrams: undefined })
    const row = await this.run<PageRow>(this.statement(plan, () => pageSql(plan, false)), this.values(query, plan))
    const state = stateOf(row)
    const dataVersion = state.token
    if (!state.derivedCurrent && plan.derived) return undefined
    if (plan.counting === 'known' && known!.dataVersion !== dataVersion) return undefined
    this.adopt(state)
    const total = row.total ?? (plan.counting === 'kept' ? state.totalCount : known!.total)
    return { dataVersion, total, ...pageEnd(query, total, row.results, dataVersion, rowsBefore(query, dataVersion)) }
  }

  /**
   * The plan's statement (`sql` of it, or of its `part`). One without a username term is prepared once
   * per connection under its own name. A search's is not: after five runs PostgreSQL would keep a
   * generic plan, blind to the term (its pattern's trigrams, its kept lists), and walk a whole index for one.
   */
  private statement (plan: Plan, sql: () => string, part = 'page'): Statement {
    const key = `${planName(plan)}:${part}`
    let statement = this.statements.get(key)
    if (!statement) {
      const name = plan.filters.includes('username') ? undefined : `ghusers_page_${this.statements.size}`
      statement = { name, ...numbered(sql()) }
      this.statements.set(key, statement)
    }
    return statement
  }

  /** The statement's one row, with its values bound by name. */
  private async run<Row extends pg.QueryResultRow> (statement: Statement, values: Record<string, unknown>): Promise<Row> {
    const { rows } = await this.query<Row>({
      name: statement.name, text: statement.text, values: statement.names.map((name) => values[name])
    })
    return rows[0]!
  }

  private values (query: PageQuery, plan: Plan, total?: number, mark?: Mark, rankBefore?: number): Record<string, unknown> {
    const values: Record<string, unknown> = planValues(query, plan, total, mark, rankBefore)
    if (query.username !== undefined) values.usernamePattern = foldedContainsPattern(query.username)
    return values
  }
}
