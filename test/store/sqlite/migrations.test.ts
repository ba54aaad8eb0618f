// The migration step: a file holding only the contract's table is brought up to our schema.
import BetterSqlite3 from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { prepareDatabaseFile, openReadOnlyDatabase } from '../../../app/store/sqlite/database.js'
import { SCHEMA_VERSION } from '../../../app/store/sqlite/migrations.js'
import { ProfilesRepository } from '../../../app/store/sqlite/profilesRepository.js'
import { contractOnlyDatabase, HOSTILE_PROFILES, temporaryDirectory } from '../../helpers/fixtures.js'

function schemaObjects (path: string): string[] {
  const db = new BetterSqlite3(path, { readonly: true })
  const names = db.prepare("SELECT type || ':' || name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY 1").pluck().all() as string[]
  db.close()
  return names
}

describe('prepareDatabaseFile', () => {
  it('brings a five-column file up to our schema and keeps every row as it was', async () => {
    const path = contractOnlyDatabase()
    expect(schemaObjects(path)).toEqual(['table:users'])

    const { applied, rebuilt } = await prepareDatabaseFile(path)

    expect(applied).toHaveLength(SCHEMA_VERSION)
    expect(rebuilt).toBe(true)
    expect(schemaObjects(path)).toEqual(expect.arrayContaining([
      'table:ghusers_meta', 'table:ghusers_migrations', 'index:users_username_nocase', 'index:users_type',
      'trigger:users_after_insert', 'trigger:users_after_update', 'trigger:users_after_delete'
    ]))
    const db = new BetterSqlite3(path, { readonly: true })
    expect(db.prepare('SELECT * FROM users ORDER BY id').all()).toEqual(HOSTILE_PROFILES)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    db.close()
  })

  it('applies and rebuilds nothing the second time', async () => {
    const path = contractOnlyDatabase()
    await prepareDatabaseFile(path)
    expect(await prepareDatabaseFile(path)).toEqual({ applied: [], rebuilt: false })
  })

  it('refuses a missing file instead of creating an empty one', async () => {
    await expect(prepareDatabaseFile(`${temporaryDirectory()}/missing.db`)).rejects.toThrow()
  })

  it('gives the file a new data version on any other tool\'s write', async () => {
    const path = contractOnlyDatabase()
    await prepareDatabaseFile(path)
    const reader = new ProfilesRepository(openReadOnlyDatabase(path))
    const before = reader.dataVersion()

    const writer = new BetterSqlite3(path)
    writer.prepare("UPDATE users SET type = 'Organization' WHERE id = 1").run()
    const afterUpdate = reader.dataVersion()
    writer.prepare('DELETE FROM users WHERE id = 2').run()
    const afterDelete = reader.dataVersion()
    writer.close()

    expect(new Set([before, afterUpdate, afterDelete]).size).toBe(3)
    expect(reader.dataVersion()).toBe(afterDelete)
  })
})
