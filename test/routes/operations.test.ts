// GET /ping and GET /health: the database's state and counts, following other writers, and a 503
// with the reason when the file under the running server is deleted, replaced, unreadable or garbage.
import { chmodSync, chownSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import BetterSqlite3 from 'better-sqlite3'
import type { FastifyInstance } from 'fastify'
import { describe, expect, it } from 'vitest'
import { SCHEMA_VERSION } from '../../app/store/sqlite/migrations.js'
import { build, contractOnlyDatabase, sampleDatabase, temporaryDirectory } from '../helpers/fixtures.js'
import { getOnNewConnection, listeningUrl, startCompiledServer } from '../helpers/serverProcess.js'

const TOTAL = 120
/** The unprivileged user of Debian and most Linux systems. */
const NOBODY = { uid: 65534, gid: 65534 }

interface Health {
  status: string
  database: { state: string, users?: number, dataVersion?: string, schemaVersion?: number, reason?: string }
}

async function health (app: FastifyInstance): Promise<{ statusCode: number, body: Health }> {
  const response = await app.inject('/health')
  expect(response.headers['content-type']).toContain('application/json')
  expect(response.headers['cache-control']).toBe('no-store')
  return { statusCode: response.statusCode, body: response.json<Health>() }
}

/** The app on a file of its own, which the test may then damage under it. */
async function appOnOwnFile (): Promise<{ app: FastifyInstance, databasePath: string }> {
  const databasePath = await sampleDatabase(TOTAL, temporaryDirectory())
  return { app: await build(databasePath), databasePath }
}

/** The file and its write-ahead log gone, as `rm` of the database folder leaves it. */
function removeDatabaseFile (databasePath: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(databasePath + suffix, { recursive: true, force: true })
}

/** A database file's whole content, as SQLite serializes it. */
function databaseBytes (path: string): Buffer {
  const db = new BetterSqlite3(path, { readonly: true })
  try {
    return db.serialize()
  } finally {
    db.close()
  }
}

async function expectUnavailable (app: FastifyInstance, state: string, reason: RegExp): Promise<void> {
  const { statusCode, body } = await health(app)
  expect(statusCode).toBe(503)
  expect(body).toEqual({ status: 'unavailable', database: { state, reason: expect.stringMatching(reason) } })
}

describe('GET /ping', () => {
  it('answers ok without touching the database, and is never cached', async () => {
    const { app, databasePath } = await appOnOwnFile()
    removeDatabaseFile(databasePath)
    const response = await app.inject('/ping')
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ status: 'ok' })
    expect(response.headers['cache-control']).toBe('no-store')
  })
})

describe('GET /health', () => {
  it('reports the state, user count, data version and schema version of a readable file', async () => {
    const { app } = await appOnOwnFile()
    const { statusCode, body } = await health(app)
    expect(statusCode).toBe(200)
    expect(body).toEqual({
      status: 'ok',
      database: { state: 'ok', users: TOTAL, dataVersion: expect.stringMatching(/^[0-9a-f]{16}\.\d+$/), schemaVersion: SCHEMA_VERSION }
    })
  })

  it('follows writes that another connection makes to the file: the count and the data version', async () => {
    const { app, databasePath } = await appOnOwnFile()
    const before = (await health(app)).body.database
    const writer = new BetterSqlite3(databasePath)
    try {
      writer.prepare('INSERT INTO users (id, username, avatar_url, type, url) VALUES (?, ?, ?, ?, ?)')
        .run(999_999_999, 'newcomer', 'https://avatars.githubusercontent.com/u/999999999?v=4', 'User', 'https://github.com/newcomer')
      const added = (await health(app)).body.database
      expect(added.users).toBe(TOTAL + 1)
      expect(added.dataVersion).not.toBe(before.dataVersion)

      writer.prepare('DELETE FROM users WHERE id IN (SELECT id FROM users ORDER BY id LIMIT 3)').run()
      const removed = (await health(app)).body.database
      expect(removed.users).toBe(TOTAL - 2)
      expect(removed.dataVersion).not.toBe(added.dataVersion)
    } finally {
      writer.close()
    }
  })

  it('is 503 "missing" when the file is deleted under the running server', async () => {
    const { app, databasePath } = await appOnOwnFile()
    expect((await health(app)).statusCode).toBe(200)
    removeDatabaseFile(databasePath)
    await expectUnavailable(app, 'missing', /does not exist/)
  })

  it('is 503 "unreadable" when the file is replaced by a directory', async () => {
    const { app, databasePath } = await appOnOwnFile()
    removeDatabaseFile(databasePath)
    mkdirSync(databasePath)
    await expectUnavailable(app, 'unreadable', /cannot be read/)
  })

  it('is 503 "not a database" when the file is overwritten with garbage', async () => {
    const { app, databasePath } = await appOnOwnFile()
    removeDatabaseFile(databasePath)
    writeFileSync(databasePath, 'this is not SQLite\n'.repeat(500))
    await expectUnavailable(app, 'not a database', /not a usable SQLite database/)
  })

  it('is 503 "not migrated" when the file is replaced by one without the service\'s tables', async () => {
    const { app, databasePath } = await appOnOwnFile()
    removeDatabaseFile(databasePath)
    writeFileSync(databasePath, databaseBytes(contractOnlyDatabase()))
    await expectUnavailable(app, 'not migrated', /service's tables/)
  })

  // Root reads any file whatever its mode: run as root (as CI does), the server is started as
  // the unprivileged user nobody, owning its folder and file, so that chmod 000 bars it too.
  it('is 503 "unreadable" when the file may not be read (chmod 000)', async () => {
    const dir = temporaryDirectory()
    const databasePath = await sampleDatabase(TOTAL, dir)
    const user: { uid?: number, gid?: number } = process.getuid?.() === 0 ? NOBODY : {}
    if (user.uid !== undefined) {
      for (const path of [dir, databasePath]) chownSync(path, user.uid, user.gid!)
    }
    const server = startCompiledServer({ DATABASE_PATH: databasePath }, user)
    const url = await listeningUrl(server)
    expect((await getOnNewConnection(`${url}/health`)).status).toBe(200)
    chmodSync(databasePath, 0o000)
    try {
      const { status, body } = await getOnNewConnection(`${url}/health`)
      expect(status).toBe(503)
      expect(JSON.parse(body)).toEqual({ status: 'unavailable', database: { state: 'unreadable', reason: expect.stringMatching(/cannot be read/) } })
    } finally {
      chmodSync(databasePath, 0o644)
    }
  })

  it('is 200 again once the file is back', async () => {
    const { app, databasePath } = await appOnOwnFile()
    const saved = databaseBytes(databasePath)
    removeDatabaseFile(databasePath)
    await expectUnavailable(app, 'missing', /does not exist/)
    writeFileSync(databasePath, saved)
    const { statusCode, body } = await health(app)
    expect(statusCode).toBe(200)
    expect(body.database.users).toBe(TOTAL)
  })
})
