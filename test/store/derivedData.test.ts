// Positions, counts and the trigram index give the same answers as plain scans, after every kind of write.
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { ORDER_BY_VALUES, type OrderBy, type Profile, type ProfilesQuery } from '../../app/schemas/profiles.js'
import { sampleAccountAt, sampleAccounts } from '../../app/seed/sampleAccounts.js'
import { seedDatabase } from '../../app/seed/seedDatabase.js'
import { openReadOnlyDatabase, prepareDatabaseFile } from '../../app/store/sqlite/database.js'
import { derivedDataIsCurrent } from '../../app/store/derivedData.js'
import { ProfilesFacets } from '../../app/store/sqlite/profilesFacets.js'
import { ProfilesRepository } from '../../app/store/sqlite/profilesRepository.js'
import { expectedPage } from '../helpers/contractModel.js'
import { contractOnlyDatabase, HOSTILE_PROFILES, readProfiles, temporaryDirectory } from '../helpers/fixtures.js'

const allRows = (path: string): Profile[] => {
  const db = new BetterSqlite3(path, { readonly: true })
  const rows = db.prepare('SELECT id, username, avatar_url, type, url FROM users').all() as Profile[]
  db.close()
  return rows
}

/** The page the contract expects, whole profiles: a rename or retype must show in every order. */
function expected (rows: Profile[], query: ProfilesQuery): { total: number, results: Profile[] } {
  const { total, ids } = expectedPage(rows, query, query.order_by, query.page, query.pagination)
  const byId = new Map(rows.map((row) => [row.id, row]))
  return { total, results: ids.map((id) => byId.get(id)!) }
}

function actual (repository: ProfilesRepository, query: ProfilesQuery) {
  const { total, results } = readProfiles(repository, query)
  return { total, results }
}

/** Every order at the first, a middle and the last page. */
function expectEveryOrderMatches (repository: ProfilesRepository, rows: Profile[], pagination = 37): void {
  const pages = Math.ceil(rows.length / pagination)
  for (const order_by of ORDER_BY_VALUES) {
    for (const page of [1, Math.ceil(pages / 2), pages, pages + 1]) {
      const query = { page, pagination, order_by }
      expect(actual(repository, query), JSON.stringify(query)).toEqual(expected(rows, query))
    }
  }
}

/** A deterministic PRNG (mulberry32) so a failure can be replayed. */
function random (seed: number): () => number {
  let state = seed
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('positions and counts', () => {
  it('stay right after upserts that add, rename and retype accounts', async () => {
    const path = join(temporaryDirectory(), 'upserts.db')
    await seedDatabase({ databasePath: path, batches: sampleAccounts({ since: 0, total: 400 }) })
    const repository = new ProfilesRepository(openReadOnlyDatabase(path))
    expectEveryOrderMatches(repository, allRows(path))

    const changed = [sampleAccountAt(3), sampleAccountAt(200)].map((account, i) => ({
      ...account, username: `ZZ-renamed-${i}`, type: i === 0 ? 'Bot' : 'Organization'
    }))
    const more = sampleAccounts({ since: sampleAccountAt(349).id, total: 150 })
    await seedDatabase({
      databasePath: path,
      batches: (async function * () { yield changed; yield * more })()
    })

    const rows = allRows(path)
    expect(rows).toHaveLength(500)
    expectEveryOrderMatches(repository, rows)
    for (const type of ['User', 'Organization', 'Bot'] as const) {
      expect(readProfiles(repository, { page: 1, pagination: 10, order_by: 'id', type }).total)
        .toBe(rows.filter((row) => row.type === type).length)
    }
  })

  it('give way to plain scans after another tool writes, and are rebuilt at the next start-up', async () => {
    const path = join(temporaryDirectory(), 'foreign.db')
    await seedDatabase({ databasePath: path, batches: sampleAccounts({ since: 0, total: 120 }) })
    const writer = new BetterSqlite3(path)
    writer.prepare("INSERT INTO users VALUES (999999999, 'AAA-first', 'https://a.example/5', 'User', 'https://github.com/AAA-first')").run()
    writer.prepare('DELETE FROM users WHERE id = ?').run(sampleAccountAt(7).id)
    writer.prepare("UPDATE users SET type = 'Bot' WHERE id = ?").run(sampleAccountAt(8).id)
    expect(derivedDataIsCurrent(writer)).toBe(false)
    writer.close()

    const repository = new ProfilesRepository(openReadOnlyDatabase(path))
    expectEveryOrderMatches(repository, allRows(path), 11)
    expect(readProfiles(repository, { page: 1, pagination: 5, order_by: 'id', type: 'Bot' }).total)
      .toBe(allRows(path).filter((row) => row.type === 'Bot').length)

    expect(await prepareDatabaseFile(path)).toEqual({ applied: [], rebuilt: true })
    expectEveryOrderMatches(repository, allRows(path), 11)
  })

  it('count a type another tool stored as a blob under its text in the facets, as a scan does, once rebuilt', async () => {
    const path = join(temporaryDirectory(), 'blob-type.db')
    await seedDatabase({ databasePath: path, batches: sampleAccounts({ since: 0, total: 300 }) })
    const writer = new BetterSqlite3(path)
    writer.prepare("INSERT INTO users VALUES (999999999, 'blob-typed-bot', 'https://a.example/5', CAST('Bot' AS BLOB), 'https://github.com/x')").run()
    writer.close()
    const facets = new ProfilesFacets(openReadOnlyDatabase(path))
    const scanned = [facets.read({}), facets.read({ username: 'bot' }), facets.read({ username: '-bot' })]
    await prepareDatabaseFile(path)
    expect([facets.read({}), facets.read({ username: 'bot' }), facets.read({ username: '-bot' })].map((read) => read.type))
      .toEqual(scanned.map((read) => read.type))
    expect(scanned[2]!.type.Bot).toBe(allRows(path).filter((row) => String(row.type) === 'Bot' && row.username.includes('-bot')).length)
  })

  it('are not trusted from a snapshot that shows them stale, by a reader that last saw them current', async () => {
    const path = join(temporaryDirectory(), 'stale-snapshot.db')
    await seedDatabase({ databasePath: path, batches: sampleAccounts({ since: 0, total: 150 }) })
    const repository = new ProfilesRepository(openReadOnlyDatabase(path))
    expectEveryOrderMatches(repository, allRows(path), 13)

    // Another tool writes; the reader is not asked for the data version before its next pages.
    const writer = new BetterSqlite3(path)
    writer.prepare("UPDATE users SET username = 'AAA-renamed', type = 'Bot' WHERE id = ?").run(sampleAccountAt(40).id)
    writer.prepare("UPDATE users SET type = 'Organization' WHERE id = ?").run(sampleAccountAt(41).id)
    writer.close()

    const rows = allRows(path)
    for (const query of [
      { page: 1, pagination: 10, order_by: 'id' as const, type: 'Bot' as const },
      { page: 1, pagination: 10, order_by: 'username' as const, username: 'aaa-ren' },
      { page: 1, pagination: 10, order_by: 'username' as const }
    ]) {
      expect(actual(repository, query), JSON.stringify(query)).toEqual(expected(rows, query))
    }
    expectEveryOrderMatches(repository, rows, 13)
  })

  it('count what a re-seed wrote', async () => {
    const path = join(temporaryDirectory(), 'reseed.db')
    const repository = await (async () => {
      await seedDatabase({ databasePath: path, batches: sampleAccounts({ since: 0, total: 50 }) })
      return new ProfilesRepository(openReadOnlyDatabase(path))
    })()
    expect(readProfiles(repository, { page: 1, pagination: 1, order_by: 'id' }).total).toBe(50)
    await seedDatabase({ databasePath: path, batches: sampleAccounts({ since: 0, total: 260 }) })
    expect(readProfiles(repository, { page: 1, pagination: 1, order_by: 'id' }).total).toBe(260)
  })
})

describe('username search through the trigram index', () => {
  it('matches a plain scan on random terms, cases and special characters', async () => {
    const path = join(temporaryDirectory(), 'search.db')
    await seedDatabase({
      databasePath: path,
      batches: (async function * () {
        yield * sampleAccounts({ since: 100, total: 1500 })
        yield HOSTILE_PROFILES
      })()
    })
    const repository = new ProfilesRepository(openReadOnlyDatabase(path))
    const rows = allRows(path)
    const next = random(20261123)
    const alphabet = 'abcdefghijklmnopqrstuvwxyzAEIOU0123456789-%_\\"\'<>ë'
    const terms: string[] = []
    for (let i = 0; i < 150; i++) {
      const source = rows[Math.floor(next() * rows.length)]!.username
      const length = 1 + Math.floor(next() * 5)
      const start = Math.floor(next() * Math.max(1, source.length - length))
      const term = next() < 0.7
        ? source.slice(start, start + length)
        : Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]).join('')
      terms.push(next() < 0.3 ? term.toUpperCase() : term)
    }
    for (const username of terms) {
      for (const order_by of ['id', '-username'] as OrderBy[]) {
        const query = { page: 1, pagination: 20, order_by, username }
        expect(actual(repository, query), JSON.stringify(query)).toEqual(expected(rows, query))
      }
      const deeper = { page: 2, pagination: 7, order_by: 'id' as const, username, type: 'User' as const }
      expect(actual(repository, deeper), JSON.stringify(deeper)).toEqual(expected(rows, deeper))
    }
  })

  it('gives the same answers on a file with stale derived data', async () => {
    const path = contractOnlyDatabase()
    await prepareDatabaseFile(path)
    const repository = new ProfilesRepository(openReadOnlyDatabase(path))
    const writer = new BetterSqlite3(path)
    writer.prepare("UPDATE users SET username = 'ALPHA-renamed' WHERE id = 11").run()
    writer.close()
    for (const username of ['alpha', 'ALP', 'renamed', '100%', 'e_s']) {
      const query = { page: 1, pagination: 50, order_by: 'id' as const, username }
      expect(actual(repository, query), username).toEqual(expected(allRows(path), query))
    }
  })
})
