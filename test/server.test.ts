// The process as a newcomer starts it: `npm start` creates a missing database, serves, exits 0 on SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { PROJECT_ROOT } from '../app/paths.js'
import { temporaryDirectory } from './helpers/fixtures.js'

interface Started { child: ChildProcess, output: () => string, exited: Promise<number | null> }

function npmStart (env: Record<string, string>): Started {
  const child = spawn('npm', ['start', '--silent'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, output: () => output, exited }
}

async function listeningUrl (started: Started): Promise<string> {
  for (let waited = 0; waited < 30_000; waited += 100) {
    const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(started.output())
    if (match) return match[1]!
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`server did not start:\n${started.output()}`)
}

describe('npm start', () => {
  it('creates a missing database from 150 sample users, says so, serves, and exits 0 on SIGTERM', async () => {
    const databasePath = join(temporaryDirectory(), 'fresh', 'github_users.db')
    const server = npmStart({ DATABASE_PATH: databasePath })
    const url = await listeningUrl(server)

    expect(await (await fetch(`${url}/ping`)).json()).toEqual({ status: 'ok' })
    const page = await (await fetch(`${url}/api/users/profiles`)).json() as { total: number }
    expect(page.total).toBe(150)
    expect(server.output()).toContain('created one with 150 sample users')
    expect(server.output()).toContain('npm run seed')
    const db = new BetterSqlite3(databasePath, { readonly: true })
    expect(db.prepare('SELECT count(*) FROM users').pluck().get()).toBe(150)
    db.close()

    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
  })

  it('serves from WEB_CONCURRENCY worker processes sharing one port, and stops them all on SIGTERM', async () => {
    const databasePath = join(temporaryDirectory(), 'workers.db')
    const server = npmStart({ DATABASE_PATH: databasePath, WEB_CONCURRENCY: '2' })
    const url = await listeningUrl(server)
    for (let waited = 0; (server.output().match(/Server listening at http:\/\/127/g) ?? []).length < 2; waited += 100) {
      if (waited > 30_000) throw new Error(server.output())
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const pids = new Set([...server.output().matchAll(/"pid":(\d+)[^\n]*Server listening/g)].map((match) => match[1]))
    expect(pids.size).toBe(2)
    expect((await fetch(`${url}/api/users/profiles?pagination=1`)).status).toBe(200)

    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
  })

  it('stops with status 1 and names the variable when the configuration is bad', async () => {
    const databasePath = join(temporaryDirectory(), 'never.db')
    const server = npmStart({ DATABASE_PATH: databasePath, PORT: 'eighty' })
    expect(await server.exited).toBe(1)
    expect(server.output()).toContain('PORT')
    expect(existsSync(databasePath)).toBe(false)
  })
})
