// The common longer terms (issue #19): the seed of each engine keeps their counts per type, their totals
// and facets are read from those counts (shown by changing one), and every other longer term is counted.
import { copyFileSync } from 'node:fs'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { ORDER_BY_VALUES, PROFILE_TYPES, type OrderBy, type Profile } from '../../app/schemas/profiles.js'
import { sampleAccounts } from '../../app/seed/sampleAccounts.js'
import { seedDatabase } from '../../app/seed/seedDatabase.js'
import { seedPostgres } from '../../app/seed/seedPostgres.js'
import { openReadOnlyDatabase, prepareDatabaseFile } from '../../app/store/sqlite/database.js'
import { TERM_COUNTS_TABLE } from '../../app/store/derivedData.js'
import { KEPT_LONG_TERM_MATCHES, LongTermCounts } from '../../app/store/longTerms.js'
import { openPostgresPool } from '../../app/store/postgres/connection.js'
import { readPostgresFacets } from '../../app/store/postgres/profilesFacets.js'
import { PostgresProfilesRepository } from '../../app/store/postgres/profilesRepository.js'
import { ProfilesFacets } from '../../app/store/sqlite/profilesFacets.js'
import { KEPT_TERM_LENGTH } from '../../app/store/profilesPlan.js'
import { ProfilesRepository } from '../../app/store/sqlite/profilesRepository.js'
import { markRows, markWalks, TERM_MARKS_TABLE } from '../../app/store/termMarks.js'
import { NON_ASCII } from '../../app/store/usernameTerms.js'
import { cleanUpLater } from '../helpers/cleanup.js'
import { asciiLower, expectedPage, ordered } from '../helpers/contractModel.js'
import { temporaryDirectory } from '../helpers/fixtures.js'
import { startPostgresServer } from '../helpers/postgresServer.js'
import { expectSearchPages } from '../helpers/searchPages.js'

type Counts = Map<string, Map<string, number>>

/** Every term of more than KEPT_TERM_LENGTH characters held by more than `bar` logins, per type, counted the slow way (ASCII folding only, as LIKE folds). */
function longTermsByBruteForce (rows: Array<{ username: string, type: string }>, bar: number): Counts {
  const counts: Counts = new Map()
  for (const { username, type } of rows) {
    const folded = asciiLower(username)
    const held = new Set<string>()
    for (let start = 0; start < folded.length; start++) {
      for (let end = start + KEPT_TERM_LENGTH + 1; end <= folded.length; end++) held.add(folded.slice(start, end))
    }
    for (const term of held) {
      if (NON_ASCII.test(term)) continue
      let byType = counts.get(term)
      if (!byType) counts.set(term, byType = new Map())
      byType.set(type, (byType.get(type) ?? 0) + 1)
    }
  }
  const types = new Set([...PROFILE_TYPES, ...rows.map((row) => row.type)])
  const kept: Counts = new Map()
  for (const [term, byType] of counts) {
    if ([...byType.values()].reduce((sum, count) => sum + count, 0) <= bar) continue
    kept.set(term, new Map([...types].map((type) => [type, byType.get(type) ?? 0])))
  }
  return kept
}

function asCounts (rows: Iterable<[string, string, number]>): Counts {
  const counts: Counts = new Map()
  for (const [term, type, count] of rows) {
    let byType = counts.get(term)
    if (!byType) counts.set(term, byType = new Map())
    byType.set(type, Number(count))
  }
  return counts
}

describe('the search for common longer terms', () => {
  it('finds every longer term held by more logins than the bar, each login counted once per type, as a slow count does', () => {
    const rows = [
      ...Array.from({ length: 60 }, (_, n) => ({ username: n % 2 ? `Nakamura${n}` : `x-nakaMURA-nakamura-${n}`, type: n % 3 ? 'User' : 'Bot' })),
      ...Array.from({ length: 15 }, (_, n) => ({ username: `Zoë-nakam${n}`, type: 'Organization' })),
      { username: 'abc', type: 'User' }
    ]
    const short = new Set<string>()
    const shortCounts = new Map<string, number>()
    for (const { username } of rows) {
      const folded = asciiLower(username)
      const held = new Set<string>()
      for (let start = 0; start + KEPT_TERM_LENGTH <= folded.length; start++) held.add(folded.slice(start, start + KEPT_TERM_LENGTH))
      for (const term of held) shortCounts.set(term, (shortCounts.get(term) ?? 0) + 1)
    }
    for (const [term, count] of shortCounts) if (count > 20) short.add(term)
    const search = new LongTermCounts(short, 20)
    let passes = 0
    while (search.searching) {
      for (const { username, type } of rows) search.add(username, type)
      search.endPass()
      passes++
    }
    const found = asCounts(search.rows())
    expect(found).toEqual(longTermsByBruteForce(rows, 20))
    expect(found.get('nakam')).toEqual(new Map([['User', 40], ['Bot', 20], ['Organization', 15]]))
    expect(found.has('nakamura')).toBe(true)
    // Every type has a count, those no login of the term holds too (a type filter reads the kept 0).
    const users = new LongTermCounts(short, 20)
    while (users.searching) {
      for (const { username } of rows) users.add(username, 'User')
      users.endPass()
    }
    expect([...users.rows()].filter(([term]) => term === 'nakam')).toEqual([['nakam', 'User', 75], ['nakam', 'Organization', 0], ['nakam', 'Bot', 0]])
    // Two passes: the terms one character longer than the short ones, then every longer one.
    expect(passes).toBe(2)
    expect(Math.max(...[...found.keys()].map((term) => term.length))).toBeGreaterThan(KEPT_TERM_LENGTH + 8)
  })
})

/** Logins holding `wxyz` in every case, more than KEPT_LONG_TERM_MATCHES of them, Users and Organizations (no Bot); three in four also hold `wxyzq`. */
const COMMON_LONG_TERM_PROFILES: Profile[] = Array.from({ length: KEPT_LONG_TERM_MATCHES + 500 }, (_, n) => {
  const username = [`WXYZ-${n}`, `m${n}-wxyzq`, `WxYzQ${n}`, `a-wxyzq-${n}`][n % 4]!
  const id = 700_000 + n
  return { id, username, avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`, type: n % 5 ? 'User' : 'Organization', url: `https://github.com/${username}` }
})

async function * accounts () {
  yield * sampleAccounts({ since: 0, total: 2_000 })
  yield COMMON_LONG_TERM_PROFILES
}

const KEPT_SQL = `SELECT term, type, count FROM ${TERM_COUNTS_TABLE} WHERE length(term) > ${KEPT_TERM_LENGTH} ORDER BY term, type`

describe('the marks of common longer terms', () => {
  it('count, at every block\'s end, the logins up to it that hold each longer term as LIKE finds it', () => {
    const logins = ['Zoë-NAKAmura', '😀nakamura', 'naka-naka', 'NAKAM', 'xnakamurax', 'nak-amura', 'Naka😀mura', 'abc', 'nakAMURA9']
    const rows = Array.from({ length: 1_000 }, (_, n) => ({ id: n + 1, username: `${logins[(n * 7) % logins.length]!}${n % 3 ? '' : n}` }))
    const longer = ['naka', 'nakam', 'nakamura', 'amura']
    const walk = markWalks(['a'], longer, rows.length).find(({ walk }) => walk.whole === 'id')!
    const marking = walk.marking()
    for (const { id, username } of rows) marking.add(id, username, username, null)
    const marks = [...marking.marks()].filter(([, , term]) => term !== 'a')
    expect(new Set(marks.map(([, , term]) => term))).toEqual(new Set(longer))
    for (const [, , term, block, before, , id] of marks) {
      const upTo = block * markRows(rows.length)
      expect(id).toBe(upTo)
      expect(before, `${term} up to ${upTo}`).toBe(rows.slice(0, upTo).filter((row) => asciiLower(row.username).includes(term)).length)
    }
  })
})

describe('a file with a common longer term', async () => {
  const path = join(temporaryDirectory(), 'long-terms.db')
  await seedDatabase({ databasePath: path, batches: accounts() })
  const file = new BetterSqlite3(path, { readonly: true })
  cleanUpLater(() => file.close())
  const rows = file.prepare('SELECT id, username, avatar_url, type, url FROM users').all() as Profile[]
  const expected = longTermsByBruteForce(rows, KEPT_LONG_TERM_MATCHES)

  it('keeps the counts per type of every longer term held by more logins than the bar, and of no other', () => {
    expect([...expected.keys()]).toEqual(['wxyz'])
    expect(asCounts(file.prepare(KEPT_SQL).raw().all() as Array<[string, string, number]>)).toEqual(expected)
  })

  it('gives the totals and facets of the kept term and of a longer one, and reads the kept term\'s from its counts', async () => {
    const copy = join(temporaryDirectory(), 'changed.db')
    copyFileSync(path, copy)
    const repository = new ProfilesRepository(openReadOnlyDatabase(copy))
    const facets = new ProfilesFacets(openReadOnlyDatabase(copy))
    await expectSearchPages((query) => repository.readPage(query), rows, ['wxyz', 'WXYZQ'])
    expect(facets.read({ username: 'WxYz' }).type).toEqual({ User: expected.get('wxyz')!.get('User'), Organization: expected.get('wxyz')!.get('Organization'), Bot: 0 })
    // Another count written beside the seed's: the kept term's total and facets follow it, the longer one's do not.
    const writer = new BetterSqlite3(copy)
    writer.prepare(`UPDATE ${TERM_COUNTS_TABLE} SET count = count + 7 WHERE term = 'wxyz' AND type = 'User'`).run()
    writer.close()
    const total = (username: string, type?: 'User') => repository.readPage({ page: 1, pagination: 5, order_by: 'id', username, ...(type ? { type } : {}) }).total
    expect(total('wxyz')).toBe(COMMON_LONG_TERM_PROFILES.length + 7)
    expect(total('wxyz', 'User')).toBe(expected.get('wxyz')!.get('User')! + 7)
    expect(facets.read({ username: 'wxyz' }).type.User).toBe(expected.get('wxyz')!.get('User')! + 7)
    expect(total('wxyzq')).toBe(rows.filter((row) => asciiLower(row.username).includes('wxyzq')).length)
  })

  it('marks the kept longer term, and no other, in every order of the whole list and of each type, with the matches before each mark', () => {
    const marks = file.prepare(`SELECT scope, order_by AS orderBy, term, block, matches_before AS before, after_id AS id FROM ${TERM_MARKS_TABLE}
      WHERE length(term) > ${KEPT_TERM_LENGTH}`).all() as Array<{ scope: string, orderBy: OrderBy, term: string, block: number, before: number, id: number }>
    expect(new Set(marks.map((mark) => mark.term))).toEqual(new Set(['wxyz']))
    const withinTypes = ['User', 'Organization'].flatMap((type) => (['id', '-id', 'username', '-username'] as const).map((orderBy) => `${type}:${orderBy}`))
    expect([...new Set(marks.map((mark) => `${mark.scope}:${mark.orderBy}`))]).toEqual(expect.arrayContaining([...ORDER_BY_VALUES.map((orderBy) => `:${orderBy}`), ...withinTypes]))
    const rowsPerBlock = markRows(rows.length)
    const scopes = new Map<string, Profile[]>()
    for (const mark of marks) {
      // The mark's row ends its block in its scope's order; the matches up to it are the mark's count.
      const key = `${mark.scope}:${mark.orderBy}`
      if (!scopes.has(key)) scopes.set(key, ordered(mark.scope === '' ? rows : rows.filter((row) => row.type === mark.scope), mark.orderBy))
      const scope = scopes.get(key)!
      const position = scope.findIndex((row) => row.id === mark.id) + 1
      const before = scope.slice(0, position).filter((row) => asciiLower(row.username).includes(mark.term)).length
      expect({ position, before }, JSON.stringify(mark)).toEqual({ position: mark.block * rowsPerBlock, before: mark.before })
    }
  })

  it('reads a deep page of the kept longer term from its last mark before the page (shown by changing the marks)', () => {
    const copy = join(temporaryDirectory(), 'marks-changed.db')
    copyFileSync(path, copy)
    const query = { page: 1_500, pagination: 10, order_by: 'username' as const, username: 'wxyz' }
    const expected = expectedPage(rows, { username: 'wxyz' }, query.order_by, query.page, query.pagination)
    const ids = () => {
      const repository = new ProfilesRepository(openReadOnlyDatabase(copy))
      // As the app does before each read: it learns whether the derived data matches the file.
      repository.dataVersion()
      return (JSON.parse(repository.readPage(query).resultsJson) as Profile[]).map((profile) => profile.id)
    }
    expect(ids()).toEqual(expected.ids)
    // One match fewer before every mark: the page read from a mark starts one row later.
    const writer = new BetterSqlite3(copy)
    writer.prepare(`UPDATE ${TERM_MARKS_TABLE} SET matches_before = matches_before - 1 WHERE term = 'wxyz' AND matches_before > 0`).run()
    writer.close()
    const later = expectedPage(rows, { username: 'wxyz' }, query.order_by, 1, 10 * query.page + 1).ids.slice(-10)
    expect(ids()).toEqual(later)
  })

  it('keeps no longer term once another tool wrote a login LIKE does not read as text, and counts them exactly', async () => {
    const copy = join(temporaryDirectory(), 'blob.db')
    copyFileSync(path, copy)
    const writer = new BetterSqlite3(copy)
    writer.prepare("INSERT INTO users (id, username, avatar_url, type, url) VALUES (999999999, CAST('blob-wxyz' AS BLOB), 'a', 'User', 'u')").run()
    writer.close()
    expect((await prepareDatabaseFile(copy)).rebuilt).toBe(true)
    const db = new BetterSqlite3(copy, { readonly: true })
    expect(db.prepare(KEPT_SQL).all()).toEqual([])
    db.close()
    const repository = new ProfilesRepository(openReadOnlyDatabase(copy))
    // LIKE does not match the blob: the total is the text logins'.
    expect(repository.readPage({ page: 1, pagination: 5, order_by: 'id', username: 'wxyz' }).total).toBe(COMMON_LONG_TERM_PROFILES.length)
  })
})

describe('PostgreSQL with a common longer term', async () => {
  const postgres = await startPostgresServer()
  const databaseUrl = await postgres.createDatabase()
  await seedPostgres({ databaseUrl, batches: accounts() })
  const pool = openPostgresPool(databaseUrl)
  const repository = await PostgresProfilesRepository.open(pool, databaseUrl)
  cleanUpLater(async () => {
    await repository.close()
    await pool.end()
  })
  const rows = (await pool.query<Profile>('SELECT id, username, avatar_url, type, url FROM users')).rows
  const expected = longTermsByBruteForce(rows, KEPT_LONG_TERM_MATCHES)

  it('keeps the counts per type of every longer term held by more logins than the bar, and of no other', async () => {
    const kept = await pool.query<{ term: string, type: string, count: string }>(KEPT_SQL.replace('length(term)', 'char_length(term)'))
    expect([...expected.keys()]).toEqual(['wxyz'])
    expect(asCounts(kept.rows.map(({ term, type, count }) => [term, type, Number(count)]))).toEqual(expected)
  })

  it('marks the kept longer term as the file does, mark for mark', async () => {
    const file = join(temporaryDirectory(), 'same-rows.db')
    await seedDatabase({ databasePath: file, batches: accounts() })
    const db = new BetterSqlite3(file, { readonly: true })
    const marksSql = `SELECT scope, order_by, term, block, matches_before, after_key, after_id FROM ${TERM_MARKS_TABLE}
      WHERE term = 'wxyz' ORDER BY scope, order_by, block`
    const fileMarks = db.prepare(marksSql).raw().all()
    db.close()
    const { rows: postgresMarks } = await pool.query({ text: marksSql, rowMode: 'array' })
    expect(fileMarks.length).toBeGreaterThan(500)
    expect(postgresMarks.map((mark: unknown[]) => mark.map((value) => typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))).toEqual(fileMarks)
  })

  it('gives the totals and facets of the kept term and of a longer one, and reads the kept term\'s from its counts', async () => {
    await expectSearchPages((query) => repository.readPage(query), rows, ['wxyz', 'WXYZQ'])
    const users = expected.get('wxyz')!.get('User')!
    expect((await readPostgresFacets(pool, { username: 'WxYz' })).type).toEqual({ User: users, Organization: expected.get('wxyz')!.get('Organization'), Bot: 0 })
    await pool.query(`UPDATE ${TERM_COUNTS_TABLE} SET count = count + 7 WHERE term = 'wxyz' AND type = 'User'`)
    const total = async (username: string, type?: 'User') => (await repository.readPage({ page: 1, pagination: 5, order_by: 'id', username, ...(type ? { type } : {}) })).total
    expect(await total('wxyz')).toBe(COMMON_LONG_TERM_PROFILES.length + 7)
    expect(await total('wxyz', 'User')).toBe(users + 7)
    expect((await readPostgresFacets(pool, { username: 'wxyz' })).type.User).toBe(users + 7)
    expect(await total('wxyzq')).toBe(rows.filter((row) => asciiLower(row.username).includes('wxyzq')).length)
  })
})
