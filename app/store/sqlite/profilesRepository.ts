// Reads profiles from the SQLite file: statements prepared once, every value bound, each page one
// statement of the shared plan (../profilesPlan.ts) in SQLite's words (pageSql.ts).
import type { Database, Statement } from 'better-sqlite3'
import type { Profile } from '../../schemas/profiles.js'
import {
  pageEnd, planName, planPage, planSearchPage, planValues, rowsBefore, searchLookups, type Mark, type PageQuery, type Plan, type SearchLookupRow
} from '../profilesPlan.js'
import { NON_ASCII } from '../usernameTerms.js'
import type { KnownTotal, PageRead, ProfilesSource } from '../profilesSource.js'
import { COLUMNS, filterValues, LIMIT, META_COLUMNS, pageSql, totalFirstSql, TRIGRAMS, trigramPhrase } from './pageSql.js'

interface FileMeta { file_id: string, data_version: number, derived_version: number, total_count: number }
interface PageRow extends FileMeta { total: number | null, results: string }
interface TotalRow extends FileMeta, SearchLookupRow {
  total: number | null
  non_ascii_logins: number | null
  username_twins: number | null
  type_ranges: number
}

/** The data version's token (the file's random id and its write counter), and whether the derived data matches it. */
function fileState (meta: FileMeta): { dataVersion: string, derivedCurrent: boolean } {
  return { dataVersion: `${meta.file_id}.${meta.data_version}`, derivedCurrent: meta.derived_version === meta.data_version }
}

/**
 * Pages as the plan reads them. Positions, counts, trigrams and the kept JSON are used only while
 * they match the data version; after another tool's write the scans answer, with JSON built from
 * the rows, correctly, until the next seed or start-up rebuilds them.
 */
export class ProfilesRepository implements ProfilesSource {
  private readonly statements = new Map<string, Statement>()
  private readonly totalStatements = new Map<string, Statement>()
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
  readPage (query: PageQuery, known?: KnownTotal): PageRead {
    if (query.username !== undefined && this.derivedCurrent) {
      const read = this.db.transaction(() => this.readSearchPage(query, known))()
      if (read) return read
    }
    const read = this.tryPlan(query, this.derivedCurrent, known)
    if (read) return read
    // The derived data did not match the snapshot read (another tool wrote): read again without it.
    return this.tryPlan(query, false, known) ?? this.tryPlan(query, false)!
  }

  /**
   * A search's page, in one read transaction: its total first, which picks how the page is read (a
   * rare term's listed ids, a common one's walk of the order's index, a late page from the end);
   * undefined when the derived data does not match the snapshot.
   */
  private readSearchPage (query: PageQuery, known?: KnownTotal): PageRead | undefined {
    const options = { derived: true, trigrams: TRIGRAMS }
    let first = this.totalFirst(query, planPage(query, { ...options, totalKnown: known !== undefined }))
    const { dataVersion, derivedCurrent } = fileState(first)
    // One snapshot: the derived data cannot change between the two statements.
    if (!derivedCurrent) return undefined
    if (first.total === null && known!.dataVersion !== dataVersion) first = this.totalFirst(query, planPage(query, { ...options, totalKnown: false }))
    const total = first.total ?? known!.total
    // With every login and the term ASCII, a trigram phrase matches exactly the logins LIKE does (see pageSql.ts).
    const phrase = { exact: first.non_ascii_logins === 0 && !NON_ASCII.test(query.username!), namesReversible: first.username_twins === 0, typeRanges: first.type_ranges }
    const search = planSearchPage(query, total, first, { ...options, phrase })
    if (!search) return { dataVersion, total, ...pageEnd(query, total, '[]', dataVersion) }
    const { plan, mark } = search
    const rankBefore = rowsBefore(query, dataVersion)
    const row = this.statement(plan).get(this.parameters(query, plan, total, mark, rankBefore)) as PageRow
    return { dataVersion, total, ...pageEnd(query, total, row.results, dataVersion, rankBefore) }
  }

  private totalFirst (query: PageQuery, plan: Plan): TotalRow {
    const { listable, markable, values } = searchLookups(query, plan)
    const name = `${planName(plan)}:${listable ? 'listable' : ''}:${markable ? 'markable' : ''}`
    let statement = this.totalStatements.get(name)
    if (!statement) {
      statement = this.db.prepare(totalFirstSql(plan, listable, markable))
      this.totalStatements.set(name, statement)
    }
    return statement.get({ ...this.parameters(query, plan), ...values }) as TotalRow
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
  private tryPlan (query: PageQuery, derived: boolean, known?: KnownTotal): PageRead | undefined {
    const plan = planPage(query, { derived, totalKnown: known !== undefined, trigrams: TRIGRAMS })
    const row = this.statement(plan).get(this.parameters(query, plan)) as PageRow
    const { dataVersion, derivedCurrent } = fileState(row)
    if (!derivedCurrent && plan.derived) return undefined
    if (plan.counting === 'known' && known!.dataVersion !== dataVersion) return undefined
    this.derivedCurrent = derivedCurrent
    const total = row.total ?? (plan.counting === 'kept' ? row.total_count : known!.total)
    return { dataVersion, total, ...pageEnd(query, total, row.results, dataVersion, rowsBefore(query, dataVersion)) }
  }

  private statement (plan: Plan): Statement {
    const name = planName(plan)
    let statement = this.statements.get(name)
    if (!statement) {
      statement = this.db.prepare(pageSql(plan))
      this.statements.set(name, statement)
    }
    return statement
  }

  private parameters (query: PageQuery, plan: Plan, total?: number, mark?: Mark, rankBefore?: number): Record<string, unknown> {
    const values = { ...planValues(query, plan, total, mark, rankBefore), ...filterValues(query) }
    if (plan.access === 'trigrams' || plan.access === 'phrase') {
      values.trigramQuery = trigramPhrase(query.username!)
      values.asciiTerm = NON_ASCII.test(query.username!) ? 0 : 1
    }
    return values
  }
}
