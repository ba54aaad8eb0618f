// The seed CLI as a user runs it: arguments, exit statuses, messages, files left alone.
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import BetterSqlite3 from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PROJECT_ROOT } from '../../app/paths.js'
import { sampleAccountAt } from '../../app/seed/sampleAccounts.js'
import { MAX_TOTAL } from '../../app/seed/seedCommand.js'
import { sampleDatabase, temporaryDirectory } from '../helpers/fixtures.js'
import { seed } from '../helpers/seedCli.js'

const fileHash = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')
const userCount = (path: string) => {
  const db = new BetterSqlite3(path, { readonly: true })
  const count = db.prepare('SELECT count(*) FROM users').pluck().get() as number
  db.close()
  return count
}

describe('seed CLI arguments', () => {
  it.each([
    [['--total', '0'], '--total'],
    [['--total', '-5'], '--total'],
    [['--total', 'abc'], '--total'],
    [['--total', '1.5'], '--total'],
    [['-t', String(MAX_TOTAL + 1)], '--total'],
    [['--total'], '--total'],
    [['--source', 'gitlab'], '--source'],
    [['--since', '-1'], '--since'],
    [['--since', 'x'], '--since'],
    [['--max-wait', 'soon'], '--max-wait'],
    [['--db', ''], '--db'],
    [['--bogus'], '--bogus'],
    [['extra'], 'extra']
  ])('%j exits 2 with usage naming %s and leaves the existing file byte-identical', async (argv, named) => {
    const path = await sampleDatabase(20)
    const before = fileHash(path)
    const run = await seed(argv.includes('--db') ? argv : [...argv, '--db', path])
    expect(run.status).toBe(2)
    expect(run.stderr).toContain(named)
    expect(run.stderr).toContain('Usage: npm run seed --')
    expect(fileHash(path)).toBe(before)
  })

  it('prints help and exits 0 with --help', async () => {
    const run = await seed(['--help'])
    expect(run.status).toBe(0)
    expect(run.stdout).toContain('--total')
    expect(run.stdout).toContain('--source')
  })
})

describe('seed CLI with the sample source', () => {
  it('writes 150 users by default and ends with one summary line', async () => {
    const path = join(temporaryDirectory(), 'cli.db')
    const run = await seed(['--source', 'sample', '--db', path])
    expect(run.status).toBe(0)
    expect(userCount(path)).toBe(150)
    expect(run.stdout.trim().split('\n')).toHaveLength(1)
    expect(run.stdout).toMatch(/^Wrote 150 users to .*cli\.db in \d+\.\d{2} s \(source: sample\)\.\n$/)
  })

  it('resumes after --since without duplicating anyone', async () => {
    const path = join(temporaryDirectory(), 'cli.db')
    await seed(['--source', 'sample', '-t', '100', '--db', path])
    const run = await seed(['--source', 'sample', '-t', '50', '--since', String(sampleAccountAt(79).id), '--db', path])
    expect(run.status).toBe(0)
    expect(userCount(path)).toBe(130)
  })

  it('uses DATABASE_PATH when --db is not given', async () => {
    const path = join(temporaryDirectory(), 'from-env.db')
    expect((await seed(['--source', 'sample', '-t', '5'], { DATABASE_PATH: path })).status).toBe(0)
    expect(userCount(path)).toBe(5)
  })

  it('names the file and exits 1 when it is not a database, leaving it as it was', async () => {
    const path = join(temporaryDirectory(), 'notes.txt')
    writeFileSync(path, 'not a database, just text\n'.repeat(100))
    const before = fileHash(path)
    const run = await seed(['--source', 'sample', '-t', '5', '--db', path])
    expect(run.status).toBe(1)
    expect(run.stderr).toContain('notes.txt')
    expect(fileHash(path)).toBe(before)
  })
})

describe('seed CLI with the GitHub source', () => {
  let server: Server
  let apiUrl: string
  const available = 130
  const seen: Array<{ url: string, authorization: string | undefined }> = []

  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push({ url: request.url!, authorization: request.headers.authorization })
      const url = new URL(request.url!, apiUrl)
      const since = Number(url.searchParams.get('since'))
      const page = Array.from({ length: available }, (_, i) => sampleAccountAt(i))
        .filter((account) => account.id > since).slice(0, 100)
        .map((account) => ({ id: account.id, login: account.username, avatar_url: account.avatar_url, type: account.type, html_url: account.url }))
      const last = page.at(-1)
      if (last && last.id < sampleAccountAt(available - 1).id) {
        response.setHeader('Link', `<${apiUrl}/users?since=${last.id}&per_page=100>; rel="next"`)
      }
      response.setHeader('Content-Type', 'application/json')
      response.end(JSON.stringify(page))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it('follows the pages, sends the token, and keeps fewer accounts than asked for with exit 0', async () => {
    const path = join(temporaryDirectory(), 'github.db')
    const run = await seed(['--total', '500', '--db', path], { GITHUB_API_URL: apiUrl, GITHUB_TOKEN: 'secret-token' })
    expect(run.status).toBe(0)
    expect(userCount(path)).toBe(available)
    expect(run.stderr).toContain(`GitHub had only ${available} accounts`)
    expect(run.stdout).toContain(`Wrote ${available} users`)
    expect(seen[0]).toEqual({ url: '/users?since=0&per_page=100', authorization: 'Bearer secret-token' })
    expect(seen).toHaveLength(2)
  })

  it('exits non-zero naming the cause and suggesting --source sample when GitHub is unreachable', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const path = join(temporaryDirectory(), 'never.db')

    const run = await seed(['--db', path], { GITHUB_API_URL: `http://127.0.0.1:${port}` })

    expect(run.status).toBe(1)
    expect(run.stderr).toContain('ECONNREFUSED')
    expect(run.stderr).toContain('--source sample')
    expect(existsSync(path)).toBe(false)
  }, 60_000)
})

describe('npm run seed', () => {
  it('exits with status 2 and usage on a bad argument, through npm', async () => {
    const error = await promisify(execFile)('npm', ['run', '--silent', 'seed', '--', '--total', 'lots'], { cwd: PROJECT_ROOT })
      .then(() => undefined, (e: { code: number, stderr: string }) => e)
    expect(error?.code).toBe(2)
    expect(error?.stderr).toContain('Usage: npm run seed --')
  })

  it('does not compile again when dist/ is current (its preseed build finds nothing to do)', async () => {
    const compiled = join(PROJECT_ROOT, 'dist', 'app', 'app.js')
    const before = statSync(compiled).mtimeMs
    await promisify(execFile)('npm', ['run', '--silent', 'seed', '--', '--total', 'lots'], { cwd: PROJECT_ROOT }).catch(() => undefined)
    expect(statSync(compiled).mtimeMs).toBe(before)
  })
})
