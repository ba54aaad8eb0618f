// Walking a list by `after` through a repository, and the rows the contract expects of it.
import type { OrderBy, Profile } from '../../app/schemas/profiles.js'
import type { PageQuery, RowPosition } from '../../app/store/profilesPlan.js'
import type { MaybePromise, PageRead } from '../../app/store/profilesSource.js'
import { matching, ordered, type Filters } from './contractModel.js'

export type ReadPage = (query: PageQuery) => MaybePromise<PageRead>

/** Every row of a list, page by page from page 1 along each page's nextAfter; `between` runs before each later page. */
export async function walk (
  read: ReadPage, filters: Filters & { type?: 'User' | 'Organization' | 'Bot' }, orderBy: OrderBy, pagination: number,
  between: (step: number) => unknown = () => {}
): Promise<{ ids: number[], totals: number[] }> {
  const ids: number[] = []
  const totals: number[] = []
  let after: RowPosition | undefined
  for (let step = 0; ; step++) {
    if (step > 1_000) throw new Error('the walk does not end')
    if (step > 0) await between(step)
    const read_ = await read({ page: 1, pagination, order_by: orderBy, ...filters, ...(after ? { after } : {}) })
    const results = JSON.parse(read_.resultsJson) as Profile[]
    if (read_.nextAfter) {
      if (results.length !== pagination) throw new Error(`a page with more to come has ${results.length} rows`)
      if (read_.nextAfter.id !== results.at(-1)!.id) throw new Error('nextAfter is not the last row')
    }
    ids.push(...results.map((row) => row.id))
    totals.push(read_.total)
    if (!read_.nextAfter) return { ids, totals }
    after = read_.nextAfter
  }
}

/** The ids of the list the contract expects, in its order. */
export function expectedIds (rows: Profile[], filters: Filters, orderBy: OrderBy): number[] {
  return ordered(matching(rows, filters), orderBy).map((row) => row.id)
}

/** Logins equal case-insensitively, distinct as stored: ties in the username orders. */
export const TIED_PROFILES: Profile[] = [
  { id: 900_001, username: 'Tied', type: 'User' },
  { id: 900_002, username: 'tied', type: 'Organization' },
  { id: 900_003, username: 'TIED', type: 'User' },
  { id: 900_004, username: 'tIeD', type: 'Bot' }
].map((account) => ({
  ...account,
  avatar_url: `https://avatars.githubusercontent.com/u/${account.id}?v=4`,
  url: `https://github.com/${account.username}`
}))

/** Filters that take each access path: none, one type, short and long terms, terms with a type, one id. */
export const WALK_FILTERS: Array<Filters & { type?: 'User' | 'Organization' | 'Bot' }> = [
  {}, { type: 'User' }, { type: 'Bot' }, { type: 'Organization' }, { username: 'a' }, { username: 'TIE' },
  { username: 'ana' }, { username: '%' }, { username: 'e', type: 'Organization' }, { username: 'tied', type: 'User' },
  { id: 900_002 }, { username: 'no-such-login' }
]
