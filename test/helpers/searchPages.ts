// The search checks both engines answer (issue #19): a file of common and rare terms, and every kind
// of term's pages in every order, with and without a type, against the contract's whole list.
import { expect } from 'vitest'
import { ORDER_BY_VALUES, type Profile } from '../../app/schemas/profiles.js'
import { RARE_TERM_MATCHES } from '../../app/store/profilesPlan.js'
import { expectedIds, walk, type ReadPage } from './walk.js'

/**
 * A three-character term held by more than RARE_TERM_MATCHES logins, so it is marked (and has a
 * phrase index in the file), as are its pairs; by Users and Organizations, no Bot.
 */
export const COMMON_TRIGRAM = 'qzx'
export const COMMON_TRIGRAM_PROFILES: Profile[] = Array.from({ length: RARE_TERM_MATCHES + 1_000 }, (_, n) => {
  const username = n % 2 ? `${COMMON_TRIGRAM}-${n}` : `m${n}-${COMMON_TRIGRAM.toUpperCase()}`
  const type = Math.floor(n / 2) % 2 ? 'Organization' : 'User'
  return { id: 600_000 + n * 7, username, avatar_url: `https://avatars.githubusercontent.com/u/${600_000 + n * 7}?v=4`, type, url: `https://github.com/${username}` }
})

/**
 * Short terms no Bot holds (the sample's `ka` and `mar` only Users hold; `zx` is marked): in the
 * type orders a cursor's or a mark's read skips the types without them.
 */
export const TERMS_ABSENT_FROM_A_TYPE = ['ka', 'mar', 'zx']

/** Those terms' pages in every order, and their walks by cursor in the type orders, each as the contract lists them. */
export async function expectTermsAbsentFromATypePages (read: ReadPage, rows: Profile[]): Promise<void> {
  for (const username of TERMS_ABSENT_FROM_A_TYPE) {
    const holders = rows.filter((row) => row.username.toLowerCase().includes(username))
    expect(holders.length, username).toBeGreaterThan(0)
    expect(holders.filter((row) => row.type === 'Bot'), username).toEqual([])
    for (const orderBy of ['type', '-type'] as const) {
      const { ids } = await walk(read, { username }, orderBy, 40)
      expect(ids, JSON.stringify({ username, orderBy })).toEqual(expectedIds(rows, { username }, orderBy))
    }
  }
  await expectSearchPages(read, rows, TERMS_ABSENT_FROM_A_TYPE)
}

/** Sample accounts enough that the commonest terms pass RARE_TERM_MATCHES and the rarest stay under it. */
export const SEARCH_SAMPLE_ACCOUNTS = 24_000

/** A term of each kind: common and rare short ones (listed or marked), common and rare longer ones, none, hostile; `listed` are the listed terms, fewest ids first. */
export function searchTerms (listed: string[]): string[] {
  return ['a', 'E', 'an', 'ana', 'ALICE', 'code', '-bot', 'nadia', listed[0]!, listed[listed.length - 1]!, 'zq', 'q9', 'no-such-login', '%', '_x', 'tied', 'ied', COMMON_TRIGRAM]
}

/** Every term's total and pages (first, early, middle, late, last, past it) in every order, with and without a type. */
export async function expectSearchPages (read: ReadPage, rows: Profile[], terms: string[]): Promise<void> {
  for (const username of terms) {
    for (const type of [undefined, 'User', 'Bot'] as const) {
      for (const orderBy of ORDER_BY_VALUES) {
        const filters = { username, ...(type ? { type } : {}) }
        // The contract's whole list once; each page is a slice of it.
        const listed = expectedIds(rows, filters, orderBy)
        const pages = Math.max(1, Math.ceil(listed.length / 20))
        for (const page of new Set([1, 2, Math.ceil(pages / 2), Math.ceil(pages * 0.8), pages - 1, pages, pages + 1].filter((n) => n >= 1))) {
          const query = { page, pagination: 20, order_by: orderBy, ...filters }
          const { total, resultsJson } = await read(query)
          const wanted = { total: listed.length, ids: listed.slice((page - 1) * 20, page * 20) }
          expect({ total, ids: (JSON.parse(resultsJson) as Profile[]).map((row) => row.id) }, JSON.stringify(query)).toEqual(wanted)
        }
      }
    }
  }
}
