// One ghusers seeds another: the seed CLI's GitHub source against a running ghusers' /api/v3.
import BetterSqlite3 from 'better-sqlite3'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Profile } from '../../app/schemas/profiles.js'
import { sampleDatabase, temporaryDirectory } from '../helpers/fixtures.js'
import { freePort } from '../helpers/freePort.js'
import { seed } from '../helpers/seedCli.js'
import { listeningUrl, startCompiledServer } from '../helpers/serverProcess.js'

/** Every row of the users table, in id order. */
function rows (databasePath: string): Profile[] {
  const db = new BetterSqlite3(databasePath, { readonly: true })
  try {
    return db.prepare('SELECT id, username, avatar_url, type, url FROM users ORDER BY id').all() as Profile[]
  } finally {
    db.close()
  }
}

/** The compiled server on `databasePath` at a port of its own, PUBLIC_URL its address; its /api/v3 URL. */
async function runningGhusers (databasePath: string, env: Record<string, string> = {}): Promise<string> {
  const port = await freePort()
  const publicUrl = `http://127.0.0.1:${port}`
  const server = startCompiledServer({ DATABASE_PATH: databasePath, PORT: String(port), PUBLIC_URL: publicUrl, ...env })
  await listeningUrl(server)
  return `${publicUrl}/api/v3`
}

describe('seeding from another ghusers', async () => {
  const source = await sampleDatabase(300)
  const apiUrl = await runningGhusers(source)

  it('copies its first N accounts, row by row, and --since resumes after the last one', async () => {
    const copy = join(temporaryDirectory(), 'copy.db')
    const first = await seed(['--total', '120', '--db', copy], { GITHUB_API_URL: apiUrl })
    expect(first.stderr).toBe('')
    expect(first.status).toBe(0)
    expect(first.stdout).toMatch(/120/)
    expect(rows(copy)).toEqual(rows(source).slice(0, 120))

    const resumed = await seed(['--total', '500', '--since', String(rows(copy).at(-1)!.id), '--db', copy], { GITHUB_API_URL: apiUrl })
    expect(resumed.status).toBe(0)
    // The source has 180 more, not 500: the seed keeps them and says so.
    expect(resumed.stderr).toMatch(/only 180 accounts/)
    expect(rows(copy)).toEqual(rows(source))
  })

  it('waits out the other ghusers\' rate limit (its 429 and x-ratelimit-* headers) and still copies every row', async () => {
    const limitedApiUrl = await runningGhusers(source, { RATE_LIMIT: 'on', RATE_LIMIT_MAX: '2', RATE_LIMIT_WINDOW: '1' })
    const copy = join(temporaryDirectory(), 'limited-copy.db')
    const run = await seed(['--total', '300', '--db', copy], { GITHUB_API_URL: limitedApiUrl })
    expect(run.status).toBe(0)
    expect(run.stderr).toMatch(/rate limit \(HTTP 429\): waiting \d+ s/)
    expect(rows(copy)).toEqual(rows(source))
  })
})
