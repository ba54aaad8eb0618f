// Searches read by their total (issue #19): a rare short term from the seed's listed ids, a common
// one by walking the order's index, a late page from the list's end, a trigram total from the index
// alone; each page and total compared with a brute-force count of a real file.
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { ORDER_BY_VALUES, type Profile } from '../../app/schemas/profiles.js'
import { sampleAccounts } from '../../app/seed/sampleAccounts.js'
import { seedDatabase } from '../../app/seed/seedDatabase.js'
import { openReadOnlyDatabase } from '../../app/store/sqlite/database.js'
import { TERM_IDS_TABLE } from '../../app/store/derivedData.js'
import { markRows, TERM_MARKS_TABLE } from '../../app/store/termMarks.js'
import { ProfilesFacets } from '../../app/store/sqlite/profilesFacets.js'
import { RARE_TERM_MATCHES } from '../../app/store/profilesPlan.js'
import { ProfilesRepository } from '../../app/store/sqlite/profilesRepository.js'
import { asciiLower, expectedPage, ordered } from '../helpers/contractModel.js'
import {
  COMMON_TRIGRAM, COMMON_TRIGRAM_PROFILES, expectSearchPages, expectTermsAbsentFromATypePages, SEARCH_SAMPLE_ACCOUNTS, searchTerms
} from '../helpers/searchPages.js'
import { HOSTILE_PROFILES, temporaryDirectory } from '../helpers/fixtures.js'
import { expectedIds, TIED_PROFILES, walk } from '../helpers/walk.js'

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

const ascii = await seededFile('ascii.db', SEARCH_SAMPLE_ACCOUNTS, COMMON_TRIGRAM_PROFILES)
const mixed = await seededFile('mixed.db', SEARCH_SAMPLE_ACCOUNTS, HOSTILE_PROFILES)
// ASCII logins equal but for case: the descending username order is not the ascending one read backwards.
const twins = await seededFile('twins.db', SEARCH_SAMPLE_ACCOUNTS, TIED_PROFILES)

function rowsOf (path: string): Profile[] {
  const db = new BetterSqlite3(path, { readonly: true })
  const rows = db.prepare('SELECT id, username, avatar_url, type, url FROM users').all() as Profile[]
  db.close()
  return rows
}

function termsOf (path: string): string[] {
  const db = new BetterSqlite3(path, { readonly: true })
  const listed = db.prepare(`SELECT term FROM ${TERM_IDS_TABLE} GROUP BY term ORDER BY count(*), term`).pluck().all() as string[]
  db.close()
  return searchTerms(listed)
}

describe.each([['ASCII logins', ascii], ['hostile logins', mixed], ['ASCII logins with case twins', twins]])('searches on a file of %s', (_name, path) => {
  const rows = rowsOf(path)
  const repository = new ProfilesRepository(openReadOnlyDatabase(path))
  const facets = new ProfilesFacets(openReadOnlyDatabase(path))
  const terms = termsOf(path)

  it('lists some rare short terms and leaves the common ones to the walk', () => {
    expect(expectedPage(rows, { username: 'a' }, 'id', 1, 1).total).toBeGreaterThan(RARE_TERM_MATCHES)
    expect(expectedPage(rows, { username: terms[8]! }, 'id', 1, 1).total).toBeLessThanOrEqual(RARE_TERM_MATCHES)
  })

  it('give exact totals and the contract\'s pages, first, early, middle, late and last, in every order, with and without a type', async () => {
    await expectSearchPages((query) => repository.readPage(query), rows, terms)
  }, 120_000)

  it('read the short terms no Bot holds, in the type orders, by page and by cursor, as the contract lists them', async () => {
    await expectTermsAbsentFromATypePages((query) => repository.readPage(query), rows)
  }, 120_000)

  it('read every page of a longer term held by every type in the -type order, the last third from the end range by range, as the contract lists them', () => {
    for (const username of ['code', 'DEV']) {
      const listed = expectedIds(rows, { username }, '-type')
      expect(new Set(rows.filter((row) => listed.includes(row.id)).map((row) => row.type)).size, username).toBe(3)
      // Pages of 7: some hold the last rows of one type and the first of the next.
      for (let page = 1; page <= Math.ceil(listed.length / 7) + 1; page++) {
        const { total, resultsJson } = repository.readPage({ page, pagination: 7, order_by: '-type', username })
        const ids = (JSON.parse(resultsJson) as Profile[]).map((row) => row.id)
        expect({ total, ids }, `${username} page ${page}`).toEqual({ total: listed.length, ids: listed.slice((page - 1) * 7, page * 7) })
      }
    }
  })

  it('walk the longer terms by cursor, in every order, with and without a type, as the contract lists them', async () => {
    for (const username of terms.filter((term) => term.length >= 3)) {
      for (const type of [undefined, 'User', 'Bot'] as const) {
        for (const orderBy of ORDER_BY_VALUES) {
          const filters = { username, ...(type ? { type } : {}) }
          const { ids } = await walk((query) => repository.readPage(query), filters, orderBy, 50)
          expect(ids, JSON.stringify({ ...filters, orderBy })).toEqual(expectedIds(rows, filters, orderBy))
        }
      }
    }
  }, 120_000)

  it('mark every common short term in every order, of the whole list and of each type, with the matches before each mark', () => {
    const db = new BetterSqlite3(path, { readonly: true })
    const marks = db.prepare(`SELECT scope, order_by AS orderBy, term, block, matches_before AS before, after_id AS id FROM ${TERM_MARKS_TABLE}`)
      .all() as Array<{ scope: string, orderBy: typeof ORDER_BY_VALUES[number], term: string, block: number, before: number, id: number }>
    db.close()
    const marked = new Set(marks.map((mark) => `${mark.scope}:${mark.orderBy}:${mark.term}`))
    for (const term of ['a', 'e']) {
      for (const orderBy of ORDER_BY_VALUES) expect(marked.has(`:${orderBy}:${term}`), `${orderBy} ${term}`).toBe(true)
      for (const orderBy of ['id', '-id', 'username', '-username'] as const) expect(marked.has(`User:${orderBy}:${term}`)).toBe(true)
    }
    const rowsPerBlock = markRows(rows.length)
    const scopes = new Map<string, Profile[]>()
    for (const mark of marks.filter((_mark, index) => index % 7 === 0)) {
      // The mark's row ends its block in its scope's order; the matches up to it are the mark's count.
      const key = `${mark.scope}:${mark.orderBy}`
      if (!scopes.has(key)) scopes.set(key, ordered(mark.scope === '' ? rows : rows.filter((row) => row.type === mark.scope), mark.orderBy))
      const scope = scopes.get(key)!
      const position = scope.findIndex((row) => row.id === mark.id) + 1
      const before = scope.slice(0, position).filter((row) => asciiLower(row.username).includes(mark.term)).length
      expect({ position, before }, JSON.stringify(mark)).toEqual({ position: mark.block * rowsPerBlock, before: mark.before })
    }
  }, 120_000)

  it('give exact facets for every kind of term', () => {
    for (const username of terms) {
      const read = facets.read({ username })
      const count = (type: string) => rows.filter((row) => row.type === type && row.username.toLowerCase().includes(username.toLowerCase())).length
      expect(read.type, username).toEqual({ User: count('User'), Organization: count('Organization'), Bot: count('Bot') })
    }
  })
})

it('marks the file\'s common three-character term in every order (its pages above start from a mark, then read its phrase index)', () => {
  const db = new BetterSqlite3(ascii, { readonly: true })
  const marked = db.prepare(`SELECT DISTINCT scope || ':' || order_by FROM ${TERM_MARKS_TABLE} WHERE term = ?`).pluck().all(COMMON_TRIGRAM)
  db.close()
  expect(marked).toEqual(expect.arrayContaining([':id', ':-id', ':username', ':-username', ':type', ':-type', 'Organization:username', 'User:-id']))
})

it('reads every page of the -type order of a file holding two types, the last third from the end range by range, as the contract lists them', async () => {
  const profiles: Profile[] = Array.from({ length: 300 }, (_, n) => {
    const username = n % 3 ? `code-${n}` : `x${n}Code`
    return { id: 1_000 + n * 3, username, avatar_url: `https://avatars.githubusercontent.com/u/${1_000 + n * 3}?v=4`, type: n % 4 ? 'User' : 'Organization', url: `https://github.com/${username}` }
  })
  const repository = new ProfilesRepository(openReadOnlyDatabase(await seededFile('two-types.db', profiles)))
  const listed = expectedIds(profiles, { username: 'code' }, '-type')
  for (let page = 1; page <= Math.ceil(listed.length / 7) + 1; page++) {
    const { total, resultsJson } = repository.readPage({ page, pagination: 7, order_by: '-type', username: 'code' })
    const ids = (JSON.parse(resultsJson) as Profile[]).map((row) => row.id)
    expect({ total, ids }, `page ${page}`).toEqual({ total: listed.length, ids: listed.slice((page - 1) * 7, page * 7) })
  }
})
