// The seed CLI writing to PostgreSQL: --database-url or DATABASE_URL, its bad values, its messages.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { temporaryDirectory } from '../helpers/fixtures.js'
import { seed } from '../helpers/seedCli.js'
import { startPostgresServer } from '../helpers/postgresServer.js'
import { freePort } from '../helpers/freePort.js'

const postgres = await startPostgresServer()

/** The users in the database at `url`; null when it has no users table. */
async function userCount (url: string): Promise<number | null> {
  const client = new pg.Client(url)
  await client.connect()
  try {
    const { rows: [row] } = await client.query("SELECT to_regclass('users') IS NOT NULL AS migrated")
    if (!row.migrated) return null
    return Number((await client.query('SELECT count(*) FROM users')).rows[0].count)
  } finally {
    await client.end()
  }
}

const withPassword = (url: string) => url.replace('postgres@', 'postgres:s3cret@')

describe('seed CLI on PostgreSQL', () => {
  it('writes to --database-url, and names it without its password', async () => {
    const url = await postgres.createDatabase()
    const run = await seed(['--source', 'sample', '--total', '40', '--database-url', withPassword(url)])
    expect(run).toMatchObject({ status: 0, stderr: '' })
    expect(run.stdout).toMatch(/^Wrote 40 users to postgres:\/\/postgres@127\.0\.0\.1:\d+\/ghusers_test_\w+ in [\d.]+ s \(source: sample\)\.\n$/)
    expect(run.stdout).not.toContain('s3cret')
    expect(await userCount(url)).toBe(40)
  })

  it('writes to DATABASE_URL rather than DATABASE_PATH, and to --db when it is given', async () => {
    const url = await postgres.createDatabase()
    const file = join(temporaryDirectory(), 'users.db')
    expect((await seed(['--source', 'sample', '--total', '15'], { DATABASE_URL: url, DATABASE_PATH: file })).status).toBe(0)
    expect(await userCount(url)).toBe(15)
    expect(existsSync(file)).toBe(false)

    expect((await seed(['--source', 'sample', '--total', '5', '--db', file], { DATABASE_URL: url })).status).toBe(0)
    expect(existsSync(file)).toBe(true)
    expect(await userCount(url)).toBe(15)
  })

  it.each([
    [['--database-url', 'mysql://db/ghusers'], '--database-url'],
    [['--database-url', 'postgres://a b'], '--database-url'],
    [['--database-url', ''], '--database-url'],
    [['--database-url', 'postgres://127.0.0.1/x', '--db', '/tmp/x.db'], '--db']
  ])('%j exits 2 with usage naming %s and writes nothing', async (argv, named) => {
    const url = await postgres.createDatabase()
    const run = await seed(['--source', 'sample', '--total', '5', ...argv], { DATABASE_URL: url })
    expect(run.status).toBe(2)
    expect(run.stderr).toContain(named)
    expect(run.stderr).toContain('Usage: npm run seed --')
    expect(await userCount(url)).toBeNull()
  })

  it('exits 2 with usage naming DATABASE_URL when the variable is not a PostgreSQL URL', async () => {
    const file = join(temporaryDirectory(), 'users.db')
    const run = await seed(['--source', 'sample', '--total', '5'], { DATABASE_URL: 'db.internal:5432', DATABASE_PATH: file })
    expect(run.status).toBe(2)
    expect(run.stderr).toContain('DATABASE_URL must be a postgres:// or postgresql:// URL (got "db.internal:5432")')
    expect(run.stderr).toContain('Usage: npm run seed --')
    expect(existsSync(file)).toBe(false)
  })

  it('exits 1 with the reason when PostgreSQL cannot be reached', async () => {
    const url = `postgres://postgres:s3cret@127.0.0.1:${await freePort()}/ghusers`
    const run = await seed(['--source', 'sample', '--total', '5', '--database-url', url])
    expect(run.status).toBe(1)
    expect(run.stderr).toMatch(/^Could not write postgres:\/\/postgres@127\.0\.0\.1:\d+\/ghusers: .*ECONNREFUSED/)
    expect(run.stderr).not.toContain('s3cret')
  })
})
