// The benchmark's database: a SQLite file in its temporary folder or kept at --db, or a throwaway
// PostgreSQL database made on the server a --database-url names, dropped at the end.
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import pg from 'pg'
import { databaseLabel } from '../../app/store/profilesDatabase.js'

export interface BenchDatabase {
  /** What the report says it measured. */
  description: string
  /** The server's environment for it (DATABASE_PATH or DATABASE_URL). */
  serverEnv: Record<string, string>
  /** The seed CLI's arguments that write to it. */
  seedArgs: string[]
  /** It holds a database seeded by an earlier run, measured as it is. */
  seeded: boolean
  /** Removes it (the file goes with the temporary folder). */
  drop: () => Promise<void>
}

export function sqliteFile (dir: string): BenchDatabase {
  const path = join(dir, 'github_users.db')
  return { description: `SQLite file (${path})`, serverEnv: { DATABASE_PATH: path }, seedArgs: ['--db', path], seeded: false, drop: async () => {} }
}

/** The file --db names, kept after the run so that the next one need not seed it again. */
export function keptSqliteFile (file: string): BenchDatabase {
  const path = resolve(file)
  const seeded = existsSync(path)
  return {
    description: `SQLite file (${path}, kept between runs${seeded ? ', seeded by an earlier one' : ''})`,
    serverEnv: { DATABASE_PATH: path },
    seedArgs: ['--db', path],
    seeded,
    drop: async () => {}
  }
}

/** A new database on the server of `url` (whose user may create databases), for this run only. */
export async function throwawayPostgres (url: string): Promise<BenchDatabase> {
  const name = `ghusers_bench_${process.pid}_${Date.now()}`
  const admin = new pg.Client(url)
  await admin.connect()
  let version: string
  try {
    version = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  const databaseUrl = new URL(url)
  databaseUrl.pathname = `/${name}`
  return {
    description: `PostgreSQL ${version}, a database made for this run (${databaseLabel({ databasePath: '', databaseUrl: databaseUrl.toString() })})`,
    serverEnv: { DATABASE_URL: databaseUrl.toString() },
    seedArgs: ['--database-url', databaseUrl.toString()],
    seeded: false,
    drop: async () => {
      const client = new pg.Client(url)
      await client.connect()
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await client.end()
      }
    }
  }
}
