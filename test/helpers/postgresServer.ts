// A real PostgreSQL for the tests (Debian's postgresql; npm test installs it): a throwaway cluster
// in a temporary folder, on a free port of 127.0.0.1, one per test file, stopped when the file ends.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { chownSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { cleanUpLater } from './cleanup.js'
import { POSTGRES_ROOT, postgresBinDirectory } from './debianPackages.js'
import { temporaryDirectory } from './fixtures.js'
import { freePort } from './freePort.js'

export interface PostgresServer {
  /** A new, empty database on this server: its postgres:// URL. */
  createDatabase: () => Promise<string>
  /** Stops the server (fast shutdown) and waits for it to exit. */
  stop: () => Promise<void>
  /** Starts it again on the same port, with its data. */
  start: () => Promise<void>
}

/** The newest installed version's bin folder. */
function binDirectory (): string {
  const bin = postgresBinDirectory()
  if (!bin) throw new Error(`no PostgreSQL under ${POSTGRES_ROOT}: apt-get install postgresql (npm test does, as root)`)
  return bin
}

/** PostgreSQL refuses to run as root: as root, run it as the postgres user Debian's package made. */
function serverUser (): { uid: number, gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((entry) => entry.startsWith('postgres:'))
  if (!line) throw new Error('running as root, and there is no postgres user to run PostgreSQL as')
  const [, , uid, gid] = line.split(':')
  return { uid: Number(uid), gid: Number(gid) }
}

let databases = 0

export async function startPostgresServer (): Promise<PostgresServer> {
  const bin = binDirectory()
  const user = serverUser()
  const dir = temporaryDirectory()
  const data = join(dir, 'data')
  if (user) chownSync(dir, user.uid, user.gid)
  execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8'],
    { stdio: 'ignore', ...user })
  const port = await freePort()
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`
  let child: ChildProcess | undefined

  const start = async () => {
    child = spawn(join(bin, 'postgres'), [
      '-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1',
      // A test's data may be lost with the machine: no need to wait for the disk.
      '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'
    ], { stdio: 'ignore', ...user })
    for (let attempt = 0; ; attempt++) {
      const client = new pg.Client(adminUrl)
      try {
        await client.connect()
        await client.end()
        return
      } catch {
        await client.end().catch(() => {})
        if (attempt === 200 || child.exitCode !== null) throw new Error(`PostgreSQL did not start on port ${port}`)
        await sleep(50)
      }
    }
  }
  const stop = async () => {
    if (!child || child.exitCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGINT')
    await exited
  }
  const createDatabase = async () => {
    const name = `ghusers_test_${process.pid}_${++databases}`
    const client = new pg.Client(adminUrl)
    await client.connect()
    try {
      await client.query(`CREATE DATABASE ${name}`)
    } finally {
      await client.end()
    }
    return `postgres://postgres@127.0.0.1:${port}/${name}`
  }

  await start()
  cleanUpLater(stop)
  return { createDatabase, stop, start }
}
