// GET /metrics: Prometheus text whose counters move with requests (by method, route pattern and
// status), the result cache's hits and misses, the database's size and users, and one cluster's
// workers aggregated whichever worker answers the scrape.
import { rmSync, statSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { sampleAccountAt } from '../../../app/seed/sampleAccounts.js'
import { build, sampleDatabase, temporaryDirectory } from '../../helpers/fixtures.js'
import { getOnNewConnection, listeningUrl, startCompiledServer } from '../../helpers/serverProcess.js'

const TOTAL = 200
const databasePath = await sampleDatabase(TOTAL)
const app = await build(databasePath)

interface Sample { name: string, labels: Record<string, string>, value: number }

/** The samples of a Prometheus text exposition (comment lines left out). */
function parseExposition (text: string): Sample[] {
  return text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).map((line) => {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!match) throw new Error(`not a sample line: ${line}`)
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((label) => [label[1]!, label[2]!]))
    return { name: match[1]!, labels, value: Number(match[3]) }
  })
}

/** The value of the sample `name` whose labels include `labels`; 0 when there is none yet. */
function valueOf (samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((sample) => sample.name === name &&
    Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`)
  return found[0]?.value ?? 0
}

async function scrape (): Promise<Sample[]> {
  const response = await app.inject('/metrics')
  expect(response.statusCode).toBe(200)
  expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8')
  return parseExposition(response.body)
}

const COUNT = 'http_request_duration_seconds_count'
const requestsOf = (samples: Sample[], route: string, status: number) =>
  valueOf(samples, COUNT, { method: 'GET', route, status_code: String(status) })

describe('GET /metrics', () => {
  it('counts requests by method, route pattern and status, never by raw URL', async () => {
    const id = sampleAccountAt(7).id
    const before = await scrape()
    for (const url of [`/api/users/profiles/${id}`, `/api/users/profiles/${id}?x=1`, '/api/users/profiles/0', '/api/users/profiles/999999999',
      '/api/users/profiles?page=2&pagination=5', '/api/users/profiles?pagination=500', '/users/2', '/ping']) {
      await app.inject(url)
    }
    const after = await scrape()
    const moved = (route: string, status: number) => requestsOf(after, route, status) - requestsOf(before, route, status)

    expect(moved('/api/users/profiles/:id', 200)).toBe(1)
    expect(moved('/api/users/profiles/:id', 400)).toBe(2)
    expect(moved('/api/users/profiles/:id', 404)).toBe(1)
    expect(moved('/api/users/profiles', 200)).toBe(1)
    expect(moved('/api/users/profiles', 400)).toBe(1)
    expect(moved('/users/:page', 200)).toBe(1)
    expect(moved('/ping', 200)).toBe(1)
    const routes = new Set(after.filter((sample) => sample.name === COUNT).map((sample) => sample.labels.route))
    for (const route of routes) expect(route, 'a pattern, not a URL').toMatch(/^(unmatched|\/[\w/:*.-]*)$/)
    expect([...routes].some((route) => route!.includes(String(id)))).toBe(false)
  })

  it('labels requests that no route matched "unmatched", whatever their URL', async () => {
    const before = await scrape()
    for (const url of ['/nope', '/nope/123?x=1', '/api/nope', '/api/users/profiles/1/extra']) {
      expect((await app.inject(url)).statusCode).toBe(404)
    }
    const after = await scrape()
    expect(requestsOf(after, 'unmatched', 404) - requestsOf(before, 'unmatched', 404)).toBe(4)
    expect(after.some((sample) => sample.labels.route?.includes('nope'))).toBe(false)
  })

  it('counts URLs the router cannot take (bad percent-encoding, an over-long segment) as "unmatched" 400s', async () => {
    const before = await scrape()
    for (const url of ['/api/users/profiles/%zz', '/users/%E0%A4%A', `/users/${'9'.repeat(300)}`]) {
      expect((await app.inject(url)).statusCode).toBe(400)
    }
    const after = await scrape()
    expect(requestsOf(after, 'unmatched', 400) - requestsOf(before, 'unmatched', 400)).toBe(3)
  })

  it('keeps a latency histogram: cumulative buckets up to +Inf, a sum and a count', async () => {
    await app.inject('/ping')
    const samples = await scrape()
    const labels = { method: 'GET', route: '/ping', status_code: '200' }
    const buckets = samples.filter((sample) => sample.name === 'http_request_duration_seconds_bucket' &&
      sample.labels.route === '/ping' && sample.labels.status_code === '200')
    expect(buckets.length).toBeGreaterThanOrEqual(10)
    expect(buckets.at(-1)!.labels.le).toBe('+Inf')
    const counts = buckets.map((bucket) => bucket.value)
    expect(counts).toEqual([...counts].sort((a, b) => a - b))
    expect(buckets.at(-1)!.value).toBe(valueOf(samples, COUNT, labels))
    expect(valueOf(samples, 'http_request_duration_seconds_sum', labels)).toBeGreaterThan(0)
  })

  it('is not counted itself', async () => {
    await scrape()
    const samples = await scrape()
    expect(samples.some((sample) => sample.labels.route === '/metrics')).toBe(false)
  })

  it('counts result cache misses and hits when the same query is asked twice', async () => {
    const url = '/api/users/profiles?username=a&order_by=-username&pagination=7'
    const before = await scrape()
    const hits = (samples: Sample[]) => valueOf(samples, 'ghusers_result_cache_hits_total')
    const misses = (samples: Sample[]) => valueOf(samples, 'ghusers_result_cache_misses_total')

    expect((await app.inject(url)).statusCode).toBe(200)
    const once = await scrape()
    expect(misses(once) - misses(before)).toBe(1)
    expect(hits(once) - hits(before)).toBe(0)

    expect((await app.inject(url)).statusCode).toBe(200)
    const twice = await scrape()
    expect(misses(twice) - misses(once)).toBe(0)
    expect(hits(twice) - hits(once)).toBe(1)
    expect(valueOf(twice, 'ghusers_result_cache_entries')).toBeGreaterThanOrEqual(1)
  })

  it('reports the database file\'s size and its number of users', async () => {
    const samples = await scrape()
    expect(valueOf(samples, 'ghusers_database_size_bytes')).toBeGreaterThanOrEqual(statSync(databasePath).size)
    expect(statSync(databasePath).size).toBeGreaterThan(0)
    expect(valueOf(samples, 'ghusers_users')).toBe(TOTAL)
  })

  it('still answers when the database file is damaged, with the user count unknown (NaN)', async () => {
    const ownPath = await sampleDatabase(TOTAL, temporaryDirectory())
    const damaged = await build(ownPath)
    await damaged.inject('/api/users/profiles')
    for (const suffix of ['-wal', '-shm']) rmSync(ownPath + suffix, { force: true })
    writeFileSync(ownPath, 'this is not SQLite\n'.repeat(500))
    const response = await damaged.inject('/metrics')
    expect(response.statusCode).toBe(200)
    const samples = parseExposition(response.body)
    expect(valueOf(samples, 'ghusers_users')).toBeNaN()
    expect(requestsOf(samples, '/api/users/profiles', 200)).toBe(1)
  })

  it('includes the process metrics', async () => {
    const samples = await scrape()
    expect(valueOf(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0)
    expect(samples.some((sample) => sample.name === 'nodejs_eventloop_lag_seconds')).toBe(true)
  })
})

describe('GET /metrics with WEB_CONCURRENCY=2', () => {
  it('aggregates both workers, whichever of them answers the scrape', async () => {
    const server = startCompiledServer({ DATABASE_PATH: await sampleDatabase(TOTAL), WEB_CONCURRENCY: '2' })
    const url = await listeningUrl(server, 2)
    const requests = 24
    for (let i = 0; i < requests; i++) {
      expect((await getOnNewConnection(`${url}/api/users/profiles/${sampleAccountAt(i).id}`, { 'X-Request-Id': `spread-${i}` })).status).toBe(200)
    }
    // Both workers answered some: neither alone holds the whole count.
    const servedBy = new Set(server.logLines().filter((line) => line.reqId?.startsWith('spread-')).map((line) => line.pid))
    expect(servedBy.size).toBe(2)

    for (let scrapes = 0; scrapes < 4; scrapes++) {
      const { status, body } = await getOnNewConnection(`${url}/metrics`)
      expect(status).toBe(200)
      const samples = parseExposition(body)
      expect(requestsOf(samples, '/api/users/profiles/:id', 200)).toBe(requests)
      // One file read by both workers: the gauges take the largest value, not the sum.
      expect(valueOf(samples, 'ghusers_users')).toBe(TOTAL)
      expect(valueOf(samples, 'ghusers_database_size_bytes')).toBeGreaterThan(0)
    }
  })
})
