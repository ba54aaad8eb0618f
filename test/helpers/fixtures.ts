// Test fixtures: real SQLite files made by the seed code (or by hand, as another tool would) and the app on them.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import type { FastifyInstance } from 'fastify'
import { buildApp, type BuildAppConfig, type BuildAppOptions } from '../../app/app.js'
import { createConfig } from '../../app/config.js'
import type { Profile, ProfilesQuery } from '../../app/schemas/profiles.js'
import { sampleAccounts } from '../../app/seed/sampleAccounts.js'
import { seedDatabase } from '../../app/seed/seedDatabase.js'
import type { ProfilesRepository } from '../../app/store/sqlite/profilesRepository.js'
import { cleanUpLater } from './cleanup.js'

/** A fresh temporary folder, removed when the test (or, outside a test, the test file) ends. */
export function temporaryDirectory (): string {
  const dir = mkdtempSync(join(tmpdir(), 'ghusers-test-'))
  cleanUpLater(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A database file seeded with `total` sample accounts by the seed code itself. */
export async function sampleDatabase (total: number, dir = temporaryDirectory()): Promise<string> {
  const databasePath = join(dir, `sample-${total}.db`)
  await seedDatabase({ databasePath, batches: sampleAccounts({ since: 0, total }) })
  return databasePath
}

/** Accounts whose logins test escaping, LIKE escaping and ordering. */
export const HOSTILE_PROFILES: Profile[] = [
  { id: 1, username: '<script>alert(1)</script>', type: 'User' },
  { id: 2, username: 'quote"double\'single', type: 'User' },
  { id: 3, username: '100%', type: 'Organization' },
  { id: 4, username: '100x', type: 'User' },
  { id: 5, username: 'under_score', type: 'User' },
  { id: 6, username: 'underXscore', type: 'User' },
  { id: 7, username: 'back\\slash', type: 'Bot' },
  { id: 8, username: 'backslash', type: 'User' },
  { id: 9, username: 'Zoë-ünïcode', type: 'User' },
  { id: 10, username: 'a'.repeat(39), type: 'User' },
  { id: 11, username: 'ALPHA', type: 'Organization' },
  { id: 12, username: 'alpha-two', type: 'User' },
  { id: 13, username: 'javascript-url', type: 'User' }
].map((account) => ({
  ...account,
  avatar_url: `https://avatars.githubusercontent.com/u/${account.id}?v=4`,
  url: `https://github.com/${encodeURIComponent(account.username)}`
}))
/** Username terms and the HOSTILE_PROFILES logins containing each, literally and case-insensitively (ASCII only). */
export const HOSTILE_SEARCHES: Array<[term: string, usernames: string[]]> = [
  ['100%', ['100%']],
  ['_', ['under_score']],
  ['\\', ['back\\slash']],
  ['alpha', ['ALPHA', 'alpha-two']],
  ['ZOË', []],
  ['zo', ['Zoë-ünïcode']],
  ['<script>', ['<script>alert(1)</script>']],
  ['"double\'', ['quote"double\'single']]
]

// A file written by another tool may hold anything in its URL columns.
HOSTILE_PROFILES[12]!.url = 'javascript:alert(document.cookie)'
HOSTILE_PROFILES[12]!.avatar_url = 'javascript:alert(2)'

/** A file as another tool would write it: only the contract's five-column table, no schema of ours. */
export function contractOnlyDatabase (profiles: Profile[] = HOSTILE_PROFILES, dir = temporaryDirectory()): string {
  const databasePath = join(dir, 'contract-only.db')
  const db = new BetterSqlite3(databasePath)
  db.exec(`CREATE TABLE users (
    id         INTEGER PRIMARY KEY,
    username   TEXT NOT NULL UNIQUE,
    avatar_url TEXT NOT NULL,
    type       TEXT NOT NULL,
    url        TEXT NOT NULL
  )`)
  const insert = db.prepare('INSERT INTO users (id, username, avatar_url, type, url) VALUES (@id, @username, @avatar_url, @type, @url)')
  for (const profile of profiles) insert.run(profile)
  db.close()
  return databasePath
}

/**
 * The service's configuration for a test: the defaults of the one config module, on `databasePath`,
 * with a small result cache and no rate limit (a test makes many requests from one address; the
 * rate-limit tests turn it on).
 */
export function appConfig (databasePath: string, overrides: Partial<BuildAppConfig> = {}): BuildAppConfig {
  return {
    ...createConfig({ DATABASE_PATH: databasePath, RATE_LIMIT: 'off', RESULT_CACHE_MAX_ENTRIES: '100' }),
    ...overrides
  }
}

/** The app on a database file, as the server builds it; closed when the test (or the test file) ends. */
export async function build (
  databasePath: string, overrides: Partial<BuildAppConfig> = {}, options: BuildAppOptions = {}
): Promise<FastifyInstance> {
  const app = await buildApp(appConfig(databasePath, overrides), options)
  cleanUpLater(() => app.close())
  return app
}

/** A page read by the repository, its JSON results parsed. */
export function readProfiles (repository: ProfilesRepository, query: ProfilesQuery): { dataVersion: string, total: number, results: Profile[] } {
  const { dataVersion, total, resultsJson } = repository.readPage(query)
  return { dataVersion, total, results: JSON.parse(resultsJson) as Profile[] }
}
