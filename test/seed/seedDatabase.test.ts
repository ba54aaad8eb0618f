// The writer: upserts, one version bump per run, no half-written state, partial runs kept.
import { copyFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import type { Profile } from '../../app/schemas/profiles.js'
import { sampleAccountAt, sampleAccounts } from '../../app/seed/sampleAccounts.js'
import { seedDatabase } from '../../app/seed/seedDatabase.js'
import { SeedInterruptedError } from '../../app/seed/seedProfiles.js'
import { openReadOnlyDatabase } from '../../app/store/sqlite/database.js'
import { ProfilesRepository } from '../../app/store/sqlite/profilesRepository.js'
import { readProfiles, temporaryDirectory } from '../helpers/fixtures.js'

const rows = (path: string): Profile[] => {
  const db = new BetterSqlite3(path, { readonly: true })
  const all = db.prepare('SELECT * FROM users ORDER BY id').all() as Profile[]
  db.close()
  return all
}
const dataVersion = (path: string): number => {
  const db = new BetterSqlite3(path, { readonly: true })
  const version = db.prepare("SELECT value FROM ghusers_meta WHERE key = 'data_version'").pluck().get() as number
  db.close()
  return version
}

describe('seedDatabase', () => {
  it('never duplicates a user when runs overlap, and bumps the data version once per run', async () => {
    const path = join(temporaryDirectory(), 'users.db')
    await seedDatabase({ databasePath: path, batches: sampleAccounts({ since: 0, total: 100 }) })
    const first = dataVersion(path)
    const result = await seedDatabase({ databasePath: path, batches: sampleAccounts({ since: 0, total: 250 }) })

    expect(result.written).toBe(250)
    expect(result.lastId).toBe(sampleAccountAt(249).id)
    expect(rows(path)).toEqual(Array.from({ length: 250 }, (_, i) => sampleAccountAt(i)))
    expect(dataVersion(path)).toBe(first + 1)
  })

  it('gives copies of one file seeded apart different versions, though each bumped its count once', async () => {
    const dir = temporaryDirectory()
    const original = join(dir, 'users.db')
    await seedDatabase({ databasePath: original, batches: sampleAccounts({ since: 0, total: 20 }) })
    const copy = join(dir, 'copy.db')
    copyFileSync(original, copy)
    await seedDatabase({ databasePath: original, batches: sampleAccounts({ since: 0, total: 30 }) })
    await seedDatabase({ databasePath: copy, batches: sampleAccounts({ since: 100, total: 30 }) })

    expect(dataVersion(copy)).toBe(dataVersion(original))
    const versions = [original, copy].map((path) => {
      const db = openReadOnlyDatabase(path)
      const version = new ProfilesRepository(db).dataVersion()
      db.close()
      return version
    })
    expect(versions[0]).not.toBe(versions[1])
  })

  it('updates a stored account and hands a login that moved to its new id', async () => {
    const path = join(temporaryDirectory(), 'users.db')
    const [a, b] = [sampleAccountAt(0), sampleAccountAt(1)]
    await seedDatabase({ databasePath: path, batches: (async function * () { yield [a, b] })() })
    // a was renamed to "renamed", and b's old login now belongs to a new account.
    const renamed = { ...a, username: 'renamed', url: 'https://github.com/renamed' }
    const newcomer = { ...b, id: b.id + 1000 }
    await seedDatabase({ databasePath: path, batches: (async function * () { yield [renamed, newcomer] })() })
    expect(rows(path)).toEqual([renamed, newcomer])
  })

  it('lets readers see the previous state until the run commits', async () => {
    const path = join(temporaryDirectory(), 'users.db')
    await seedDatabase({ databasePath: path, batches: sampleAccounts({ since: 0, total: 10 }) })
    const reader = new ProfilesRepository(openReadOnlyDatabase(path))
    const seen: number[] = []
    const versionBefore = reader.dataVersion()

    await seedDatabase({
      databasePath: path,
      batches: (async function * () {
        for await (const batch of sampleAccounts({ since: 0, total: 50, batchSize: 10 })) {
          yield batch
          seen.push(readProfiles(reader, { page: 1, pagination: 100, order_by: 'id' }).total)
        }
      })()
    })

    expect(seen).toEqual([10, 10, 10, 10, 10])
    expect(readProfiles(reader, { page: 1, pagination: 100, order_by: 'id' }).total).toBe(50)
    expect(reader.dataVersion()).not.toBe(versionBefore)
  })

  it('keeps what was fetched when the source fails midway, and reports it', async () => {
    const path = join(temporaryDirectory(), 'users.db')
    const failing = (async function * () {
      yield [sampleAccountAt(0), sampleAccountAt(1)]
      throw new Error('connection reset')
    })()
    const error = await seedDatabase({ databasePath: path, batches: failing }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SeedInterruptedError)
    expect((error as SeedInterruptedError).result).toMatchObject({ written: 2, lastId: sampleAccountAt(1).id })
    expect(rows(path)).toEqual([sampleAccountAt(0), sampleAccountAt(1)])
  })

  it('creates no file when the source fails before its first account', async () => {
    const path = join(temporaryDirectory(), 'users.db')
    const failing = (async function * (): AsyncGenerator<Profile[]> { throw new Error('offline') })()
    await expect(seedDatabase({ databasePath: path, batches: failing })).rejects.toThrow('offline')
    expect(existsSync(path)).toBe(false)
  })
})
