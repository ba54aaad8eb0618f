// PostgreSQL as the database, against a real server: the same answers as the contract's model
// (filters, LIKE escaping, every order, deep pages), after seeds, upserts and other tools' writes.
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import pg from 'pg'
import { describe, expect, it, vi } from 'vitest'
import { ORDER_BY_VALUES, type Profile, type ProfilesQuery } from '../../app/schemas/profiles.js'
import { sampleAccountAt, sampleAccounts } from '../../app/seed/sampleAccounts.js'
import { seedDatabase } from '../../app/seed/seedDatabase.js'
import { SeedInterruptedError } from '../../app/seed/seedProfiles.js'
import { seedPostgres } from '../../app/seed/seedPostgres.js'
import { openPostgresPool } from '../../app/store/postgres/connection.js'
import { checkPostgres } from '../../app/store/postgres/health.js'
import { PostgresProfilesRepository } from '../../app/store/postgres/profilesRepository.js'
import { FOLDED_USERNAME, POSTGRES_SCHEMA_VERSION, preparePostgres } from '../../app/store/postgres/schema.js'
import { expectedPage } from '../helpers/contractModel.js'
import { cleanUpLater } from '../helpers/cleanup.js'
import { HOSTILE_PROFILES, HOSTILE_SEARCHES, temporaryDirectory } from '../helpers/fixtures.js'
import { expectedIds, TIED_PROFILES, walk, WALK_FILTERS } from '../helpers/walk.js'
import { freePort } from '../helpers/freePort.js'
import { startPostgresServer } from '../helpers/postgresServer.js'

const postgres = await startPostgresServer()

async function * inBatches (rows: Profile[], size = 100) {
  for (let start = 0; start < rows.length; start += size) yield rows.slice(start, start + size)
}

/** A new database seeded by the seed code with `rows` (or that many sample accounts). */
async function seededDatabase (rows: Profile[] | number): Promise<string> {
  const databaseUrl = await postgres.createDatabase()
  const batches = typeof rows === 'number' ? sampleAccounts({ since: 0, total: rows }) : inBatches(rows)
  await seedPostgres({ databaseUrl, batches })
  return databaseUrl
}

/** A source that yields `first`, then waits for release() before it yields `then`: a seed caught midway. */
function pausingSource (first: Profile[], then: Profile[]) {
  let release!: () => void
  const released = new Promise<void>((resolve) => { release = resolve })
  let loaded!: () => void
  const firstBatchIn = new Promise<void>((resolve) => { loaded = resolve })
  const batches = (async function * () {
    yield first
    loaded()
    await released
    yield then
  })()
  return { batches, firstBatchIn, release }
}

/** The repository on `databaseUrl`; it polls for the data version only once an hour, so that only notifications move it. */
async function openRepository (databaseUrl: string) {
  const pool = openPostgresPool(databaseUrl)
  const repository = await PostgresProfilesRepository.open(pool, databaseUrl, { pollMs: 3_600_000 })
  cleanUpLater(async () => {
    await repository.close()
    await pool.end()
  })
  return { pool, repository }
}

async function allRows (pool: pg.Pool): Promise<Profile[]> {
  return (await pool.query<Profile>('SELECT id, username, avatar_url, type, url FROM users')).rows
}

async function read (repository: PostgresProfilesRepository, query: ProfilesQuery) {
  const { total, resultsJson } = await repository.readPage(query)
  return { total, results: JSON.parse(resultsJson) as Profile[] }
}

function expected (rows: Profile[], query: ProfilesQuery): { total: number, results: Profile[] } {
  const { total, ids } = expectedPage(rows, query, query.order_by, query.page, query.pagination)
  const byId = new Map(rows.map((row) => [row.id, row]))
  return { total, results: ids.map((id) => byId.get(id)!) }
}

/** Every order at the first, a middle and the last page, and one past it. */
async function expectEveryOrderMatches (repository: PostgresProfilesRepository, rows: Profile[], pagination = 37) {
  const pages = Math.ceil(rows.length / pagination)
  for (const order_by of ORDER_BY_VALUES) {
    for (const page of [1, Math.ceil(pages / 2), pages, pages + 1]) {
      const query = { page, pagination, order_by }
      expect(await read(repository, query), JSON.stringify(query)).toEqual(expected(rows, query))
    }
  }
}

describe('PostgreSQL', () => {
  describe('on hostile logins', async () => {
    const { repository } = await openRepository(await seededDatabase(HOSTILE_PROFILES))
    const query = (overrides: Partial<ProfilesQuery>) => read(repository, { page: 1, pagination: 100, order_by: 'id', ...overrides })

    it.each(HOSTILE_SEARCHES)('finds usernames containing %j literally and case-insensitively (ASCII), as the file does', async (term, usernames) => {
      expect((await query({ username: term })).results.map((profile) => profile.username).sort()).toEqual([...usernames].sort())
    })

    it.each(ORDER_BY_VALUES)('orders by %s as the file does, ties broken by id ascending', async (order_by) => {
      expect(await query({ order_by })).toEqual(expected(HOSTILE_PROFILES, { page: 1, pagination: 100, order_by }))
    })

    it('sends every column as the API shows it, hostile text included', async () => {
      const byId = new Map(HOSTILE_PROFILES.map((profile) => [profile.id, profile]))
      for (const profile of (await query({})).results) expect(profile).toEqual(byId.get(profile.id))
      expect(await repository.findById(13)).toEqual(byId.get(13))
      expect(await repository.findById(999)).toBeUndefined()
    })
  })

  it('matches the contract on random filters, orders and pages, positions and scans alike', async () => {
    const { pool, repository } = await openRepository(await seededDatabase(700))
    const rows = await allRows(pool)
    await expectEveryOrderMatches(repository, rows)
    let seed = 7
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    for (let i = 0; i < 60; i++) {
      const login = rows[Math.floor(next() * rows.length)]!.username
      const start = Math.floor(next() * (login.length - 1))
      const term = login.slice(start, start + 1 + Math.floor(next() * 4))
      const query: ProfilesQuery = {
        page: 1 + Math.floor(next() * 3),
        pagination: 1 + Math.floor(next() * 30),
        order_by: ORDER_BY_VALUES[Math.floor(next() * ORDER_BY_VALUES.length)]!,
        username: next() < 0.5 ? term.toUpperCase() : term,
        ...(next() < 0.3 ? { type: 'Organization' as const } : {})
      }
      expect(await read(repository, query), JSON.stringify(query)).toEqual(expected(rows, query))
    }
    for (const type of ['User', 'Organization', 'Bot'] as const) {
      expect((await read(repository, { page: 1, pagination: 10, order_by: 'id', type })).total)
        .toBe(rows.filter((row) => row.type === type).length)
    }
  })

  it('searches usernames through the trigram index, and orders them through their own index', async () => {
    const { pool } = await openRepository(await seededDatabase(2000))
    const client = await pool.connect()
    try {
      // Left only bitmap scans, only an index that holds the very expression the repository
      // filters on can answer the search.
      await client.query('SET enable_seqscan = off; SET enable_indexscan = off; SET enable_indexonlyscan = off')
      const plan = async (sql: string, values: unknown[] = []) =>
        JSON.stringify((await client.query(`EXPLAIN (FORMAT JSON) ${sql}`, values)).rows)
      expect(await plan(`SELECT count(*) FROM users u WHERE ${FOLDED_USERNAME} LIKE $1 ESCAPE '\\'`, ['%ada%']))
        .toContain('users_username_trigrams')
      await client.query('RESET enable_indexscan; RESET enable_indexonlyscan')
      expect(await plan('SELECT id FROM users u ORDER BY ghusers_fold(u.username) COLLATE "C", u.id LIMIT 5'))
        .toContain('users_username_folded')
    } finally {
      client.release()
    }
  })

  it('opens a serving pool whose statements start no parallel workers and price random reads as cached ones', async () => {
    const serving = openPostgresPool(await postgres.createDatabase(), { serving: true })
    const plain = openPostgresPool(await postgres.createDatabase())
    cleanUpLater(async () => { await Promise.all([serving.end(), plain.end()]) })
    const settings = async (pool: pg.Pool) => (await pool.query<{ name: string, setting: string }>(
      "SELECT name, setting FROM pg_settings WHERE name IN ('max_parallel_workers_per_gather', 'random_page_cost') ORDER BY name")).rows
    expect(await settings(serving)).toEqual([{ name: 'max_parallel_workers_per_gather', setting: '0' }, { name: 'random_page_cost', setting: '1.1' }])
    expect(await settings(plain)).not.toEqual(await settings(serving))
  })

  it('pages one type by position and walks every order and filter by after, as the contract orders them', async () => {
    const { pool, repository } = await openRepository(await seededDatabase([
      ...Array.from({ length: 250 }, (_, i) => sampleAccountAt(i)), ...HOSTILE_PROFILES, ...TIED_PROFILES]))
    const rows = await allRows(pool)
    for (const order_by of ORDER_BY_VALUES) {
      for (const type of ['User', 'Organization', 'Bot'] as const) {
        const pages = Math.ceil(rows.filter((row) => row.type === type).length / 9)
        for (const page of [1, Math.ceil(pages / 2), pages]) {
          const query = { page, pagination: 9, order_by, type }
          expect(await read(repository, query), JSON.stringify(query)).toEqual(expected(rows, query))
        }
      }
      for (const filters of WALK_FILTERS) {
        const { ids } = await walk((query) => repository.readPage(query), filters, order_by, 8)
        expect(ids, `${order_by} ${JSON.stringify(filters)}`).toEqual(expectedIds(rows, filters, order_by))
      }
    }
  })

  it('walks by after without skipping or repeating a row that exists throughout, while seeds rewrite others', async () => {
    const databaseUrl = await seededDatabase(200)
    const { pool, repository } = await openRepository(databaseUrl)
    const before = await allRows(pool)
    const touched = new Set(before.filter((_, index) => index % 4 === 0).map((row) => row.id))
    const reseed = async (step: number) => {
      if (step > 3) return
      const batch = before.filter((row) => touched.has(row.id)).map((row, i) => i % 2
        ? { ...row, username: `aaa-moved-${step}-${row.id}`, type: 'Bot' }
        : { ...sampleAccountAt(5_000 + step * 100 + i), username: row.username })
      await seedPostgres({ databaseUrl, batches: inBatches(batch) })
    }
    const stable = (ids: number[]) => ids.filter((id) => !touched.has(id) && id < 20_000)
    for (const order_by of ORDER_BY_VALUES) {
      const { ids } = await walk((query) => repository.readPage(query), {}, order_by, 9, reseed)
      expect(stable(ids), order_by).toEqual(stable(expectedIds(before, {}, order_by)))
    }
  })

  it('keeps positions and counts right through upserts that add, rename and retype accounts', async () => {
    const databaseUrl = await seededDatabase(300)
    const { pool, repository } = await openRepository(databaseUrl)
    const before = repository.dataVersion()
    const changed = [sampleAccountAt(3), sampleAccountAt(200)].map((account, i) => ({
      ...account, username: `ZZ-renamed-${i}`, type: i === 0 ? 'Bot' : 'Organization'
    }))
    // A login moving to another id, as a renamed account's old login reused by a new one.
    const moved = { ...sampleAccountAt(400), username: sampleAccountAt(5).username }
    await seedPostgres({ databaseUrl, batches: inBatches([...changed, moved]) })
    await vi.waitFor(() => expect(repository.dataVersion()).not.toBe(before), { timeout: 5_000 })

    const rows = await allRows(pool)
    // One account added, and the one whose login moved taken off.
    expect(rows).toHaveLength(300)
    expect(rows.filter((row) => row.username === moved.username).map((row) => row.id)).toEqual([moved.id])
    await expectEveryOrderMatches(repository, rows, 29)
    expect((await read(repository, { page: 1, pagination: 5, order_by: 'id', type: 'Bot' })).total)
      .toBe(rows.filter((row) => row.type === 'Bot').length)
  })

  it('follows another tool\'s writes at once, with scans until the next start-up rebuilds', async () => {
    const databaseUrl = await seededDatabase(120)
    const { pool, repository } = await openRepository(databaseUrl)
    const before = repository.dataVersion()
    await pool.query("INSERT INTO users VALUES (999999999, 'AAA-first', 'https://a.example/5', 'User', 'https://github.com/AAA-first')")
    await pool.query('DELETE FROM users WHERE id = $1', [sampleAccountAt(7).id])
    await pool.query("UPDATE users SET type = 'Bot' WHERE id = $1", [sampleAccountAt(8).id])
    // A column the API does not know shows in no answer, by position or by scan.
    await pool.query("ALTER TABLE users ADD COLUMN email text DEFAULT 'someone@example.com'")
    // The notification moves the version on, with no page read in between.
    await vi.waitFor(() => expect(repository.dataVersion()).not.toBe(before), { timeout: 5_000 })
    const rows = await allRows(pool)
    await expectEveryOrderMatches(repository, rows, 11)
    expect(await repository.countAll()).toBe(rows.length)

    const pool2 = openPostgresPool(databaseUrl, { max: 1 })
    expect(await preparePostgres(pool2)).toEqual({ applied: [], rebuilt: true })
    expect(await preparePostgres(pool2)).toEqual({ applied: [], rebuilt: false })
    await pool2.end()
    await vi.waitFor(async () => expect(await repository.countAll()).toBe(rows.length), { timeout: 5_000 })
    await expectEveryOrderMatches(repository, rows, 11)
  })

  it('does not trust derived data that its snapshot shows stale, though no notification said so', async () => {
    const databaseUrl = await seededDatabase(90)
    const { pool, repository } = await openRepository(databaseUrl)
    const before = repository.dataVersion()
    // A write whose notification never came (as if lost with a connection): the repository still
    // believes the derived data current, and must find out from the page's own snapshot.
    const client = await pool.connect()
    try {
      await client.query(`BEGIN; SET LOCAL ghusers.bulk = 'on';
        UPDATE users SET username = 'AAA-renamed', type = 'Bot' WHERE id = ${sampleAccountAt(40).id};
        UPDATE ghusers_state SET data_version = data_version + 1; COMMIT`)
    } finally {
      client.release()
    }
    expect(repository.dataVersion()).toBe(before)
    const rows = await allRows(pool)
    for (const query of [
      { page: 1, pagination: 10, order_by: 'username' as const },
      { page: 1, pagination: 10, order_by: 'id' as const, type: 'Bot' as const }
    ]) {
      expect(await read(repository, query), JSON.stringify(query)).toEqual(expected(rows, query))
    }
    expect(repository.dataVersion()).not.toBe(before)
  })

  it('stores a batch as SQLite\'s REPLACE does, row by row: repeated ids, moved and swapped logins', async () => {
    const account = (id: number, username: string): Profile =>
      ({ id, username, avatar_url: `https://a.example/${id}`, type: 'User', url: `https://github.com/${username}` })
    const batches = [
      [account(1, 'u'), account(2, 'v'), account(3, 'x'), account(4, 'y')],
      [account(1, 'u'), account(1, 'w'), account(2, 'u')],
      [account(3, 'y'), account(4, 'x'), account(5, 'w'), account(5, 'z')]
    ]
    const file = join(temporaryDirectory(), 'replace.db')
    const databaseUrl = await postgres.createDatabase()
    for (const batch of batches) {
      await seedDatabase({ databasePath: file, batches: inBatches(batch) })
      await seedPostgres({ databaseUrl, batches: inBatches(batch) })
    }
    const db = new BetterSqlite3(file, { readonly: true })
    const inFile = db.prepare('SELECT id, username, avatar_url, type, url FROM users ORDER BY id').all()
    db.close()
    const { pool } = await openRepository(databaseUrl)
    expect((await allRows(pool)).sort((a, b) => a.id - b.id)).toEqual(inFile)
    // 5:'w' took 'w' off id 1 before 5:'z' replaced it: id 1 is gone.
    expect(inFile.map((row) => (row as Profile).username)).toEqual(['u', 'y', 'x', 'z'])
  })

  it('starts without waiting for a seed under way, and without rebuilding under it', async () => {
    const databaseUrl = await seededDatabase(40)
    const { pool } = await openRepository(databaseUrl)
    await pool.query("INSERT INTO users VALUES (999999999, 'AAA-first', 'https://a.example/5', 'User', 'https://github.com/AAA-first')")
    const source = pausingSource([sampleAccountAt(100)], [sampleAccountAt(101)])
    const seed = seedPostgres({ databaseUrl, batches: source.batches })
    await source.firstBatchIn
    const starting = openPostgresPool(databaseUrl, { max: 1 })
    // The seed holds the writers' lock: start-up gives up the rebuild rather than wait for the seed.
    expect(await preparePostgres(starting)).toEqual({ applied: [], rebuilt: false })
    source.release()
    await seed
    expect(await preparePostgres(starting)).toEqual({ applied: [], rebuilt: false })
    await starting.end()
    expect(await checkPostgres(pool)).toMatchObject({ state: 'ok', users: 43 })
  })

  it('fails a seed whose connection PostgreSQL drops, with an error, not a crash', async () => {
    const databaseUrl = await postgres.createDatabase()
    const source = pausingSource([sampleAccountAt(0)], [sampleAccountAt(1)])
    const seed = seedPostgres({ databaseUrl, batches: source.batches }).catch((error: unknown) => error)
    await source.firstBatchIn
    await postgres.stop()
    try {
      source.release()
      expect(await seed).toBeInstanceOf(Error)
    } finally {
      await postgres.start()
    }
  })

  it('counts what a re-seed wrote, and a new seed gets a new data version', async () => {
    const databaseUrl = await seededDatabase(50)
    const { repository } = await openRepository(databaseUrl)
    expect((await read(repository, { page: 1, pagination: 1, order_by: 'id' })).total).toBe(50)
    const before = repository.dataVersion()
    await seedPostgres({ databaseUrl, batches: sampleAccounts({ since: 0, total: 260 }) })
    await vi.waitFor(() => expect(repository.dataVersion()).not.toBe(before), { timeout: 5_000 })
    expect((await read(repository, { page: 1, pagination: 1, order_by: 'id' })).total).toBe(260)
    expect(await repository.countAll()).toBe(260)
  })

  it('keeps what a failing source gave before it failed, and writes nothing when it fails at once', async () => {
    const databaseUrl = await postgres.createDatabase()
    const failing = async function * () {
      yield [sampleAccountAt(0), sampleAccountAt(1)]
      throw new Error('GitHub went away')
    }
    const error = await seedPostgres({ databaseUrl, batches: failing() }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(SeedInterruptedError)
    expect((error as SeedInterruptedError).result).toMatchObject({ written: 2, lastId: sampleAccountAt(1).id })
    const { repository } = await openRepository(databaseUrl)
    expect(await repository.countAll()).toBe(2)

    const untouched = await postgres.createDatabase()
    const failsAtOnce = async function * (): AsyncGenerator<Profile[]> { throw new Error('no network') }
    await expect(seedPostgres({ databaseUrl: untouched, batches: failsAtOnce() })).rejects.toThrow('no network')
    const pool = openPostgresPool(untouched)
    expect((await pool.query("SELECT to_regclass('users') AS users")).rows[0].users).toBeNull()
    await pool.end()
  })

  it('reports its health: ok with the count, not migrated, unreachable', async () => {
    const { pool } = await openRepository(await seededDatabase(30))
    expect(await checkPostgres(pool)).toMatchObject({ state: 'ok', users: 30, schemaVersion: POSTGRES_SCHEMA_VERSION })

    const empty = openPostgresPool(await postgres.createDatabase())
    expect(await checkPostgres(empty)).toMatchObject({ state: 'not migrated' })
    await empty.end()

    const nobody = openPostgresPool(`postgres://postgres@127.0.0.1:${await freePort()}/ghusers`)
    expect(await checkPostgres(nobody)).toMatchObject({ state: 'unreachable', reason: expect.stringContaining('ECONNREFUSED') })
    await nobody.end()
  })
})
