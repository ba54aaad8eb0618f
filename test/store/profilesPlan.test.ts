// The plan's access paths on a real file against the contract's model: pages of one type by
// position, and walks by `after` in every order and filter, also while seeds rewrite other rows.
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { ORDER_BY_VALUES, PROFILE_TYPES, type Profile } from '../../app/schemas/profiles.js'
import { sampleAccountAt, sampleAccounts } from '../../app/seed/sampleAccounts.js'
import { seedDatabase } from '../../app/seed/seedDatabase.js'
import { openReadOnlyDatabase } from '../../app/store/sqlite/database.js'
import { planPage, type PageQuery, type RowPosition } from '../../app/store/profilesPlan.js'
import { ProfilesRepository } from '../../app/store/sqlite/profilesRepository.js'
import { expectedPage } from '../helpers/contractModel.js'
import { HOSTILE_PROFILES, readProfiles, temporaryDirectory } from '../helpers/fixtures.js'
import { expectedIds, TIED_PROFILES, walk, WALK_FILTERS } from '../helpers/walk.js'

const allRows = (path: string): Profile[] => {
  const db = new BetterSqlite3(path, { readonly: true })
  const rows = db.prepare('SELECT id, username, avatar_url, type, url FROM users').all() as Profile[]
  db.close()
  return rows
}

async function seededFile (name: string, ...parts: Array<Profile[] | number>): Promise<string> {
  const path = join(temporaryDirectory(), name)
  await seedDatabase({
    databasePath: path,
    batches: (async function * () {
      for (const part of parts) {
        if (typeof part === 'number') yield * sampleAccounts({ since: 0, total: part })
        else yield part
      }
    })()
  })
  return path
}

const path = await seededFile('plan.db', 400, HOSTILE_PROFILES, TIED_PROFILES)
const rows = allRows(path)
const repository = new ProfilesRepository(openReadOnlyDatabase(path))

describe('pages of one type by position', () => {
  it.each(PROFILE_TYPES)('match the contract for type %s in every order, first to past the last page', (type) => {
    for (const order_by of ORDER_BY_VALUES) {
      const { pages } = expectedPage(rows, { type }, order_by, 1, 9)
      for (const page of [1, 2, Math.ceil(pages / 2), pages, pages + 1]) {
        const query = { page, pagination: 9, order_by, type }
        const { total, results } = readProfiles(repository, query)
        const wanted = expectedPage(rows, { type }, order_by, page, 9)
        expect({ total, ids: results.map((row) => row.id) }, JSON.stringify(query)).toEqual({ total: wanted.total, ids: wanted.ids })
      }
    }
  })
})

describe('totals of short username terms, kept by the seed', () => {
  it('are exact for every term of one and two characters in the file, any case, alone and with a type, and 0 for others', () => {
    const terms = new Set(['Zz', 'ÿ', 'Ë', '%x', '\\', 'Ab', 'E'])
    for (const row of rows) {
      const chars = [...row.username]
      chars.forEach((char, index) => {
        terms.add(char)
        if (index + 1 < chars.length) terms.add(char + chars[index + 1]!)
      })
    }
    for (const username of terms) {
      for (const type of [undefined, 'Organization'] as const) {
        const query = { page: 1, pagination: 1, order_by: 'id' as const, username, ...(type ? { type } : {}) }
        expect(readProfiles(repository, query).total, JSON.stringify(query)).toBe(expectedPage(rows, query, 'id', 1, 1).total)
      }
    }
    const total = expectedPage(rows, { username: 'a' }, 'id', 1, 1).total
    expect(readProfiles(repository, { page: 1000, pagination: 100, order_by: 'username', username: 'A' })).toMatchObject({ total, results: [] })
    const last = expectedPage(rows, { username: 'a' }, '-username', Math.ceil(total / 10), 10)
    expect(readProfiles(repository, { page: Math.ceil(total / 10), pagination: 10, order_by: '-username', username: 'a' }).results.map((row) => row.id))
      .toEqual(last.ids)
  })
})

describe('walks by after', () => {
  it.each(ORDER_BY_VALUES)('give every row once, in the contract\'s order %s, for every filter', async (orderBy) => {
    for (const filters of WALK_FILTERS) {
      const { ids, totals } = await walk((query) => repository.readPage(query), filters, orderBy, 7)
      const wanted = expectedIds(rows, filters, orderBy)
      expect(ids, JSON.stringify(filters)).toEqual(wanted)
      expect(new Set(totals), JSON.stringify(filters)).toEqual(new Set([wanted.length]))
    }
  })

  it('give a page that ends the list no next row, and an empty list none', () => {
    const last = repository.readPage({ page: 1, pagination: 100, order_by: 'id', username: 'tied' })
    expect(last).toMatchObject({ total: 4, nextAfter: null })
    expect(repository.readPage({ page: 1, pagination: 100, order_by: 'id', username: 'zzzz' })).toMatchObject({ total: 0, resultsJson: '[]', nextAfter: null })
    const whole = repository.readPage({ page: 1, pagination: 4, order_by: 'username', username: 'tied' })
    expect(whole.nextAfter).toBeNull()
  })

  it('never skip or repeat a row that exists throughout while seeds add, rename and remove others', async () => {
    const walked = await seededFile('walked.db', 300, TIED_PROFILES)
    const reader = new ProfilesRepository(openReadOnlyDatabase(walked))
    const before = allRows(walked)
    // Rows the seeds rewrite: renamed (moving them in the username orders), retyped, or removed by a login taken by a new id.
    const touched = new Set(before.filter((_, index) => index % 5 === 0).map((row) => row.id))
    // A few seeds early in each walk: rows they move ahead of the cursor are met again, as the contract allows.
    const reseed = async (step: number) => {
      if (step > 4) return
      const batch: Profile[] = []
      for (const row of before.filter((candidate) => touched.has(candidate.id))) {
        if ((row.id + step) % 3 === 0) batch.push({ ...row, username: `${step % 2 ? 'aaa' : 'zzz'}-moved-${step}-${row.id}`, type: 'Bot' })
        else if ((row.id + step) % 3 === 1) batch.push({ ...sampleAccountAt(10_000 + step * 400 + batch.length), username: row.username })
        else batch.push({ ...row, type: step % 2 ? 'Organization' : 'User' })
      }
      batch.push(sampleAccountAt(20_000 + step))
      await seedDatabase({ databasePath: walked, batches: (async function * () { yield batch })() })
    }
    for (const orderBy of ORDER_BY_VALUES) {
      for (const filters of [{}, { type: 'User' as const }, { username: 'ana' }, { username: 'ana', type: 'User' as const }]) {
        const stable = (ids: number[]) => ids.filter((id) => !touched.has(id) && id < 40_000)
        const { ids } = await walk((query) => reader.readPage(query), filters, orderBy, 11, reseed)
        const now = allRows(walked)
        expect(stable(ids), `${orderBy} ${JSON.stringify(filters)}`).toEqual(stable(expectedIds(now, filters, orderBy)))
        expect(stable(expectedIds(now, filters, orderBy))).toEqual(stable(expectedIds(before, filters, orderBy)))
      }
    }
  })

  it('bound a search\'s cursor page by its rank only at the data version it was ranked at', async () => {
    const ranked = await seededFile('ranked.db', 400)
    const reader = new ProfilesRepository(openReadOnlyDatabase(ranked))
    const filters = { username: 'an' }
    const before = expectedIds(allRows(ranked), filters, 'username')
    // The next-to-last page's cursor: its rank says how many rows are left after it (fewer than a page).
    const pages = Math.ceil(before.length / 20)
    const { nextAfter } = reader.readPage({ page: pages - 1, pagination: 20, order_by: 'username', ...filters })
    expect(nextAfter?.rankAt?.rank).toBe((pages - 1) * 20)
    const next = (after: RowPosition) => (JSON.parse(reader.readPage({ page: 1, pagination: 20, order_by: 'username', after, ...filters }).resultsJson) as Profile[]).map((row) => row.id)
    expect(next(nextAfter!)).toEqual(before.slice((pages - 1) * 20))
    // A seed renames ten matches before the cursor: the rank no longer counts the rows before it.
    const renamed = before.slice(0, 10).map((id) => ({ ...allRows(ranked).find((row) => row.id === id)!, username: `zzz-renamed-${id}` }))
    await seedDatabase({ databasePath: ranked, batches: (async function * () { yield renamed })() })
    expect(next(nextAfter!)).toEqual(before.slice((pages - 1) * 20))
  })
})

describe('the planner', () => {
  const options = { derived: true, totalKnown: true, trigrams: { length: 3, idOrdered: true }, total: 100_000, phrase: { exact: true, namesReversible: true, typeRanges: 3 } }
  const query = (more: Partial<PageQuery>): PageQuery => ({ page: 1, pagination: 20, order_by: 'id', ...more })
  const mark = { matchesBefore: 50_000, position: { key: 'ana', id: 7 } }

  it('reads a longer term from a phrase index: within a type, in the type orders, after a cursor, after a mark', () => {
    expect(planPage(query({ username: 'alice', type: 'User', order_by: '-username', page: 4000 }), options)).toMatchObject({ access: 'phrase', start: 'end' })
    // The whole list's -type order from its end only in its last third (100,000 matches: 5,000 pages), and for at most three types.
    expect(planPage(query({ username: 'alice', order_by: '-type', page: 3000 }), options)).toMatchObject({ access: 'phrase', start: 'offset' })
    expect(planPage(query({ username: 'alice', order_by: '-type', page: 3400 }), options)).toMatchObject({ access: 'phrase', start: 'end' })
    expect(planPage(query({ username: 'alice', order_by: '-type', page: 5000 }), options)).toMatchObject({ access: 'phrase', start: 'end' })
    const fourTypes = { ...options, phrase: { ...options.phrase, typeRanges: 4 } }
    expect(planPage(query({ username: 'alice', order_by: '-type', page: 5000 }), fourTypes)).toMatchObject({ access: 'phrase', start: 'offset' })
    expect(planPage(query({ username: 'alice', order_by: 'type', after: { key: 'User', id: 5 } }), options)).toMatchObject({ access: 'phrase', start: 'after' })
    expect(planPage(query({ username: 'ana', order_by: 'username', page: 3000 }), { ...options, marked: true, mark })).toMatchObject({ access: 'phrase', start: 'mark' })
    expect(planPage(query({ username: 'ana', order_by: 'username' }), { ...options, marked: true })).toMatchObject({ access: 'phrase', start: 'offset' })
  })

  it('keeps to the marks, or the scans, where no phrase index answers exactly', () => {
    expect(planPage(query({ username: 'an', page: 3000 }), { ...options, marked: true, mark })).toMatchObject({ access: 'scan', start: 'mark' })
    const inexact = { ...options, phrase: { exact: false, namesReversible: true, typeRanges: 3 } }
    expect(planPage(query({ username: 'ana', page: 3000 }), { ...inexact, marked: true, mark })).toMatchObject({ access: 'scan', start: 'mark' })
    expect(planPage(query({ username: 'alice', type: 'Bot' }), inexact).access).not.toBe('phrase')
    const twins = { ...options, phrase: { exact: true, namesReversible: false, typeRanges: 3 } }
    expect(planPage(query({ username: 'alice', type: 'User', order_by: '-username' }), twins).access).not.toBe('phrase')
    expect(planPage(query({ username: 'alice', id: 5 }), options).access).not.toBe('phrase')
  })

  it('sorts the trigram candidates of a term with few matches, and walks an order for a common one', () => {
    const unordered = { derived: true, totalKnown: true, trigrams: { length: 3, idOrdered: false } }
    const idOrdered = { ...unordered, trigrams: { length: 3, idOrdered: true } }
    for (const order_by of ['id', '-username'] as const) {
      expect(planPage(query({ username: 'alice', order_by }), { ...unordered, total: 15_000 }).access).toBe('trigrams')
      expect(planPage(query({ username: 'alice', order_by }), { ...unordered, total: 150_000 }).access).toBe('scan')
    }
    // Candidates in id order: a page of the id order takes the first of them, however many there are.
    expect(planPage(query({ username: 'alice', order_by: '-id' }), { ...idOrdered, total: 150_000 }).access).toBe('trigrams')
    expect(planPage(query({ username: 'al' }), { ...unordered, total: 10 }).access).toBe('scan')
    // A term the seed marked is a common one, whatever a small type's count says: walked.
    const after = { key: null, id: 5 }
    expect(planPage(query({ username: 'ack', type: 'Bot', after }), { ...unordered, total: 300, marked: true }).access).toBe('scan')
    expect(planPage(query({ username: 'ack', type: 'Bot', after }), { ...unordered, total: 300 }).access).toBe('trigrams')
    expect(planPage(query({ username: 'ack', type: 'Bot', after }), { ...idOrdered, total: 300, marked: true }).access).toBe('trigrams')
    // A marked longer term after a cursor, where no exact phrase index answers: its few matches in a type are sorted, not walked.
    expect(planPage(query({ username: 'alice', type: 'Organization', order_by: 'username', after }), { ...idOrdered, total: 4_100, marked: true }).access).toBe('trigrams')
    expect(planPage(query({ username: 'alice', type: 'Organization', order_by: 'username', page: 100 }), { ...idOrdered, total: 4_100, marked: true, mark })).toMatchObject({ access: 'scan', start: 'mark' })
  })

  it('sorts every candidate of a page where they must be sorted, unless a bounded walk from its end of the list or its cursor finds it', () => {
    const unordered = { derived: true, totalKnown: true, trigrams: { length: 3, idOrdered: false }, listRows: 1_000_000, total: 150_000 }
    // 150,000 matches in 1M rows: about 750 in the first half of a walk, a page of 20 as far as page 37.
    expect(planPage(query({ username: 'alice', order_by: '-username' }), unordered)).toMatchObject({ access: 'boundedWalk', start: 'offset' })
    expect(planPage(query({ username: 'alice', page: 37 }), unordered)).toMatchObject({ access: 'boundedWalk', start: 'offset' })
    expect(planPage(query({ username: 'alice', page: 38 }), unordered)).toMatchObject({ access: 'trigrams', start: 'offset' })
    expect(planPage(query({ username: 'alice', order_by: 'type', page: 3000 }), unordered)).toMatchObject({ access: 'trigrams', start: 'offset' })
    expect(planPage(query({ username: 'alice', order_by: 'type', page: 7000 }), unordered)).toMatchObject({ access: 'trigrams', start: 'end' })
    expect(planPage(query({ username: 'alice', order_by: 'type', page: 7500 }), unordered)).toMatchObject({ access: 'boundedWalk', start: 'end' })
    // After a cursor, the next page is sought the same way.
    const after = { key: 'alice', id: 5 }
    expect(planPage(query({ username: 'alice', order_by: 'username', after }), unordered)).toMatchObject({ access: 'boundedWalk', start: 'after' })
    expect(planPage(query({ username: 'alice', order_by: 'username', after }), { ...unordered, total: 1_000 })).toMatchObject({ access: 'trigrams', start: 'after' })
    // Rare, the matches are sorted at once; with an id, or marked, they are read as before.
    expect(planPage(query({ username: 'alice' }), { ...unordered, total: 500 }).access).toBe('trigrams')
    expect(planPage(query({ username: 'alice', id: 5 }), unordered).access).not.toBe('boundedWalk')
    expect(planPage(query({ username: 'ana', page: 3000 }), { ...unordered, marked: true, mark }).access).toBe('scan')
    // A marked longer term: a page by number starts at its mark; a cursor's page is sought as an unmarked one's.
    expect(planPage(query({ username: 'alice', page: 3000 }), { ...unordered, marked: true, mark })).toMatchObject({ access: 'scan', start: 'mark' })
    expect(planPage(query({ username: 'alice', order_by: 'username', after }), { ...unordered, marked: true })).toMatchObject({ access: 'boundedWalk', start: 'after' })
    expect(planPage(query({ username: 'ana', order_by: 'username', after }), { ...unordered, marked: true })).toMatchObject({ access: 'scan', start: 'after' })
    // Candidates in id order are never all sorted.
    expect(planPage(query({ username: 'alice', page: 3000 }), { ...unordered, trigrams: { length: 3, idOrdered: true } }).access).not.toBe('boundedWalk')
  })
})
