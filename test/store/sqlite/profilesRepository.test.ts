// The repository against real files: filters, LIKE escaping, order, one snapshot per page.
import { describe, expect, it } from 'vitest'
import { ORDER_BY_VALUES, type ProfilesQuery } from '../../../app/schemas/profiles.js'
import { ProfilesRepository } from '../../../app/store/sqlite/profilesRepository.js'
import { containsPattern } from '../../../app/store/sqlite/pageSql.js'
import { prepareDatabaseFile, openReadOnlyDatabase } from '../../../app/store/sqlite/database.js'
import { ordered } from '../../helpers/contractModel.js'
import { contractOnlyDatabase, HOSTILE_PROFILES, HOSTILE_SEARCHES, readProfiles } from '../../helpers/fixtures.js'

const repository = await (async () => {
  const path = contractOnlyDatabase()
  await prepareDatabaseFile(path)
  return new ProfilesRepository(openReadOnlyDatabase(path))
})()

const query = (overrides: Partial<ProfilesQuery>) =>
  readProfiles(repository, { page: 1, pagination: 100, order_by: 'id', ...overrides })

describe('ProfilesRepository', () => {
  it('escapes %, _ and \\ in LIKE patterns', () => {
    expect(containsPattern('a%b_c\\d')).toBe('%a\\%b\\_c\\\\d%')
  })

  it.each(HOSTILE_SEARCHES)('finds usernames containing %j literally and case-insensitively (ASCII)', (term, usernames) => {
    expect(query({ username: term }).results.map((profile) => profile.username).sort()).toEqual([...usernames].sort())
  })

  it.each(ORDER_BY_VALUES)('orders by %s with ties broken by id ascending', (orderBy) => {
    expect(query({ order_by: orderBy }).results.map((profile) => profile.id))
      .toEqual(ordered(HOSTILE_PROFILES, orderBy).map((profile) => profile.id))
  })

  it('combines filters with AND and counts what matches', () => {
    expect(query({ type: 'Organization' }).total).toBe(HOSTILE_PROFILES.filter((p) => p.type === 'Organization').length)
    expect(query({ type: 'Organization', username: 'alpha' }).results.map((p) => p.id)).toEqual([11])
    expect(query({ id: 11, type: 'User' })).toMatchObject({ total: 0, results: [] })
  })

  it('returns the total and no rows for a page past the end', () => {
    expect(query({ page: 3, pagination: 10 })).toMatchObject({ total: HOSTILE_PROFILES.length, results: [] })
    expect(query({ page: 2, pagination: 10 }).results).toHaveLength(HOSTILE_PROFILES.length - 10)
  })
})
