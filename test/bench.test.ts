// `npm run bench` end to end on a tiny database: every scenario measured with the cache on and off,
// against the ceilings, without errors, beside another git ref's build. Numbers are not asserted: they
// depend on the machine.
import { execFile } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import pg from 'pg'
import { PROJECT_ROOT } from '../app/paths.js'
import { SECURITY_HEADERS } from '../app/plugins/external/helmet.js'
import { temporaryDirectory } from './helpers/fixtures.js'
import { startPostgresServer } from './helpers/postgresServer.js'
import { eventually, exitStatus, listeningUrl, spawnServer } from './helpers/serverProcess.js'

const SCENARIOS = ['API page 1', 'API page 20, pagination 50', 'API order_by=type, page 3',
  'API order_by=-username, deep page', 'API deep page', 'API username search', 'API id lookup',
  'HTML /users/2', 'HTML deep page']

const bench = (args: string[]) => promisify(execFile)(process.execPath, ['dist/scripts/bench.js', ...args],
  { cwd: PROJECT_ROOT, maxBuffer: 10 * 1024 * 1024 })

/** The report's section under `heading` (a `## ` line starting with it). */
function section (markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}`)
  expect(start, heading).toBeGreaterThanOrEqual(0)
  const end = markdown.indexOf('\n## ', start + 1)
  return markdown.slice(start, end === -1 ? undefined : end)
}

/** A section's table rows (header and rule left out), each as its cells. */
function tableRows (markdown: string): string[][] {
  return markdown.split('\n')
    .filter((line) => line.startsWith('| ')).slice(2)
    .map((line) => line.slice(2, -2).split(' | '))
}

describe('npm run bench', () => {
  it('measures every scenario with the result cache on and off, and a ceiling, without errors, beside --compare\'s build', async () => {
    const kept = join(temporaryDirectory(), 'kept.db')
    const { stdout, stderr } = await bench(['--users', '300', '--duration', '1', '--warmup', '0', '--workers', '1', '--no-out', '--db', kept, '--compare', 'HEAD'])

    expect(stdout).toContain('## 1 worker (WEB_CONCURRENCY=1)')
    expect(stdout).toMatch(/Seeded 300 users in [\d.]+ s, peak RSS \d+ MB/)
    expect(stdout).toMatch(/Server peak RSS: cache on: \d+ MB per process.*; cache off: \d+ MB per process/)
    const rows = tableRows(section(stdout, '1 worker'))
    expect(rows).toHaveLength(2 + SCENARIOS.length * 2)
    expect(rows[0]![0]).toMatch(/^ceiling: bare Fastify/)
    // Page 1's headers, replayed: its security headers and its own (type, tag, links…).
    const replayed = /^ceiling as shipped: info log, rate limit, request id and (\d+) headers$/.exec(rows[1]![0]!)
    expect(Number(replayed?.[1])).toBeGreaterThan(Object.keys(SECURITY_HEADERS).length)
    for (const name of SCENARIOS) {
      for (const cache of ['on', 'off']) {
        expect(rows.some(([scenario, setting]) => scenario!.startsWith(name) && setting === cache), `${name}, cache ${cache}`).toBe(true)
      }
    }
    for (const [scenario, , requestsPerSecond, , , errors, ratio, cpuPerRequest, cpuRatio] of rows) {
      expect(Number(requestsPerSecond!.replaceAll(',', '')), scenario).toBeGreaterThan(0)
      expect(errors, scenario).toBe('0')
      expect(ratio, scenario).toMatch(/^\d+\.\d\d×$/)
      // The server's CPU time per answer: some, and not absurd (a whole second).
      expect(Number(cpuPerRequest), scenario).toBeGreaterThan(0)
      expect(Number(cpuPerRequest), scenario).toBeLessThan(1e6)
      expect(cpuRatio, scenario).toMatch(/^\d+\.\d\d×$/)
    }

    const flat = tableRows(section(stdout, 'Deep pages'))
    expect(flat.map(([orderBy]) => orderBy)).toEqual(['id', '-id', 'username', '-username', 'type', '-type'])
    for (const [, firstRate, , , deepRate, , ratio] of flat) {
      expect(Number(firstRate!.replaceAll(',', ''))).toBeGreaterThan(0)
      expect(Number(deepRate!.replaceAll(',', ''))).toBeGreaterThan(0)
      expect(ratio).toMatch(/^\d+\.\d\d×$/)
    }
    const targets = section(stdout, 'Targets').split('\n').filter((line) => line.startsWith('- '))
    expect(targets).toHaveLength(6)
    for (const line of targets) expect(line).toMatch(/^- (✅|❌) .+: .+$/)

    const worst = tableRows(section(stdout, 'Worst URLs'))
    expect(worst.length).toBeGreaterThan(10)
    for (const [url, , oneRequestMs] of worst) expect(Number(oneRequestMs), url).toBeGreaterThan(0)
    expect(tableRows(section(stdout, 'Isolation')).map(([client]) => client!.split(' ')[0])).toEqual(['alone', 'beside'])

    expect(stdout).toMatch(/^- Servers: as `npm start` ships them: `LOG_LEVEL=info`.*the rate limit on/m)
    expect(stdout).toMatch(/^- Builds: this checkout \([0-9a-f]+.*\), and HEAD \([0-9a-f]+\) beside it \(--compare\)$/m)
    const sideBySide = tableRows(section(stdout, 'Side by side, 1 worker'))
    expect(sideBySide).toHaveLength(SCENARIOS.length * 2)
    for (const [scenario, , thisRate, thisRatio, thisCpu, thatRate, thatRatio, thatCpu, ratio] of sideBySide) {
      for (const rate of [thisRate, thatRate]) expect(rate, scenario).toMatch(/^[\d,]+$/)
      for (const cpu of [thisCpu, thatCpu]) expect(Number(cpu), scenario).toBeGreaterThan(0)
      for (const times of [thisRatio, thatRatio, ratio]) expect(times, scenario).toMatch(/^\d+\.\d\d×$/)
    }
    expect(stdout).toMatch(/^Server peak RSS, HEAD: cache on: \d+ MB per process/m)

    // The seeded file is kept for the next run; the build of HEAD went with the run's temporary folder.
    expect(stdout).toContain(`- Database: SQLite file (${kept}, kept between runs)`)
    expect(existsSync(kept)).toBe(true)
    const temporaryFolder = /^Building HEAD in (\S+) /m.exec(stderr)?.[1]
    expect(temporaryFolder).toBeDefined()
    expect(existsSync(temporaryFolder!)).toBe(false)
  }, 240_000)

  it('measures PostgreSQL with --database-url, in a database of its own that it drops', async () => {
    const postgres = await startPostgresServer()
    const url = await postgres.createDatabase()
    const { stdout } = await bench(['--users', '300', '--duration', '1', '--warmup', '0', '--workers', '1', '--no-out', '--database-url', url])

    expect(stdout).toMatch(/^- Database: PostgreSQL \d+[.\d]* .*, a database made for this run \(postgres:\/\/postgres@127\.0\.0\.1:\d+\/ghusers_bench_\d+_\d+\)$/m)
    const rows = tableRows(section(stdout, '1 worker'))
    expect(rows).toHaveLength(2 + SCENARIOS.length * 2)
    for (const [scenario, , requestsPerSecond, , , errors] of rows) {
      expect(Number(requestsPerSecond!.replaceAll(',', '')), scenario).toBeGreaterThan(0)
      expect(errors, scenario).toBe('0')
    }
    const client = new pg.Client(url)
    await client.connect()
    const left = await client.query("SELECT datname FROM pg_database WHERE datname LIKE 'ghusers_bench_%'")
    await client.end()
    expect(left.rows).toEqual([])
  }, 180_000)

  it('runs the ceiling as shipped with the request log, rate limit and request id of the app, and the headers it is given', async () => {
    const dir = temporaryDirectory()
    const body = join(dir, 'body.json')
    const headers = join(dir, 'headers.json')
    writeFileSync(body, '{"results":[]}')
    writeFileSync(headers, JSON.stringify({ 'content-type': 'application/json; charset=utf-8', etag: '"a-b"', 'x-total-count': '7' }))
    const server = spawnServer(process.execPath, ['dist/scripts/bench/ceilingServer.js'], {
      BODY_FILE: body, HEADERS_FILE: headers, RATE_LIMIT: 'on', RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW: '60'
    })
    const url = await listeningUrl(server)

    const answer = await fetch(`${url}/`)
    expect(answer.status).toBe(200)
    expect(await answer.text()).toBe('{"results":[]}')
    expect(Object.fromEntries(answer.headers)).toMatchObject({
      'content-type': 'application/json; charset=utf-8', etag: '"a-b"', 'x-total-count': '7', 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '4'
    })
    const id = answer.headers.get('x-request-id')
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    const line = await eventually('the request\'s log line', () => server.logLines().find((entry) => entry.reqId === id))
    expect(line).toMatchObject({ level: 30, msg: 'request completed', req: { method: 'GET', url: '/' }, res: { statusCode: 200 } })
    server.child.kill('SIGTERM')
    expect(await exitStatus(server)).toBe(0)
  })

  it.each([
    [['--workers', '1,0'], '--workers'],
    [['--database-url', 'mysql://db/ghusers'], '--database-url'],
    [['--db', 'x.db', '--database-url', 'postgres://db/ghusers'], '--db']
  ])('exits 2 with the usage on a bad argument: %j', async (args, named) => {
    const failure = await bench(args).catch((error: { code: number, stderr: string }) => error)
    expect(failure).toMatchObject({ code: 2 })
    expect((failure as { stderr: string }).stderr).toContain(named)
    expect((failure as { stderr: string }).stderr).toContain('Usage: npm run bench')
  })
})
