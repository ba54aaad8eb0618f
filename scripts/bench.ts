// Entry of `npm run bench`: seeds a sample database (a SQLite file, or PostgreSQL with
// --database-url) with the seed CLI, serves it with the real server as `npm start` ships it (result
// cache on, then off, for each worker count; with --compare, another git ref's build in turn with
// this one), drives every scenario with autocannon beside a bare-Fastify ceiling, and prints a
// markdown report, kept in bench/RESULTS.md (bench/RESULTS-postgres.md). See bench/README.md.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { REQUEST_ID_HEADER } from '../app/http/requestId.js'
import { PROJECT_ROOT } from '../app/paths.js'
import { buildGitRef, thisCheckout, type ServerBuild } from './bench/builds.js'
import { killRunningServers, startChildServer, type ChildServer } from './bench/childServer.js'
import { keptSqliteFile, sqliteFile, throwawayPostgres, type BenchDatabase } from './bench/database.js'
import { FRESH_SERVER_WARMUPS, measureLoad, warmUpFreshServer, type LoadOptions, type Measurement } from './bench/loadRun.js'
import { parseBenchOptions, type BenchOptions } from './bench/options.js'
import { renderReport, seedLine, type BenchReport, type BuildResults, type CacheSetting, type FlatPagesRun, type WorkerRun } from './bench/report.js'
import { chooseScenarios, type Scenario } from './bench/scenarios.js'
import { seedSampleDatabase } from './bench/seedRun.js'
import { measureIsolation, measureWorstUrls, renderWorstUrls } from './bench/worstUrls.js'

const CACHE_SETTINGS: CacheSetting[] = ['on', 'off']
/**
 * The configuration `npm start` ships (rate limit on, info logs, here written to a file), but for a
 * per-client budget that the load, all of it from one client, cannot exhaust.
 */
const SHIPPED_ENV = { LOG_LEVEL: 'info', RATE_LIMIT: 'on', RATE_LIMIT_MAX: '1000000', RATE_LIMIT_WINDOW: '1' }
const SHIPPED_DESCRIPTION = 'as `npm start` ships them: `LOG_LEVEL=info` (its JSON lines written to a file), the rate limit on ' +
  '(`RATE_LIMIT_MAX=1000000 RATE_LIMIT_WINDOW=1`: a budget one client cannot exhaust), the result cache on and off, ' +
  'node with the flags of `npm start`'

/** What one run works with: its temporary folder, the database, the load, and the builds it serves. */
interface BenchRun {
  dir: string
  database: BenchDatabase
  load: LoadOptions
  /** This checkout's build first, then the --compare build if any. */
  builds: ServerBuild[]
}

const progress = (message: string) => process.stderr.write(`${message}\n`)
const workersLabel = (workers: number) => workers === 1 ? '1 worker' : `${workers} workers`

let serversStarted = 0
const serverLog = (run: BenchRun) => join(run.dir, `server-${++serversStarted}.log`)

function startAppServer (run: BenchRun, build: ServerBuild, workers: number, cache: CacheSetting): Promise<ChildServer> {
  return startChildServer({
    args: build.startArgs,
    cwd: build.root,
    env: { ...run.database.serverEnv, ...SHIPPED_ENV, RESULT_CACHE: cache, WEB_CONCURRENCY: String(workers) },
    logFile: serverLog(run),
    readyPath: '/ping',
    workers
  })
}

/** The ceilings' inputs: API page 1's body, and the headers it carries beyond those the as-shipped ceiling writes itself. */
interface CeilingFiles { body: string, headers: string }
type CeilingKind = 'bare' | 'shipped'

async function measureCeiling (run: BenchRun, files: CeilingFiles, workers: number, kind: CeilingKind): Promise<Measurement> {
  // The node flags of `npm start`, as the app's servers get them.
  const nodeFlags = run.builds[0]!.startArgs.slice(0, -1)
  const server = await startChildServer({
    args: [...nodeFlags, 'dist/scripts/bench/ceilingServer.js'],
    cwd: PROJECT_ROOT,
    env: { BODY_FILE: files.body, WORKERS: String(workers), ...(kind === 'shipped' ? { ...SHIPPED_ENV, HEADERS_FILE: files.headers } : {}) },
    logFile: serverLog(run),
    readyPath: '/',
    workers
  })
  try {
    await warmUpFreshServer([`${server.url}/`], run.load)
    const ceiling = await measureLoad(`${server.url}/`, run.load, server.cpuTicks)
    progress(`[${workersLabel(workers)}] ceiling${kind === 'shipped' ? ' as shipped' : ''}: ${Math.round(ceiling.requestsPerSecond)} req/s`)
    return ceiling
  } finally {
    await server.stop()
  }
}

/** Measures every scenario on one server (one build, worker count and cache setting); returns its memory peak too. */
async function measureScenarios (run: BenchRun, build: ServerBuild, workers: number, cache: CacheSetting, scenarios: Scenario[]) {
  const server = await startAppServer(run, build, workers, cache)
  const measurements = new Map<Scenario, Measurement>()
  const buildLabel = run.builds.length > 1 ? `, ${build.label}` : ''
  try {
    await warmUpFreshServer(scenarios.map((scenario) => server.url + scenario.path), run.load)
    for (const scenario of scenarios) {
      const measurement = await measureLoad(server.url + scenario.path, run.load, server.cpuTicks)
      measurements.set(scenario, measurement)
      progress(`[${workersLabel(workers)}, cache ${cache}${buildLabel}] ${scenario.name}: ` +
        `${Math.round(measurement.requestsPerSecond)} req/s, ${measurement.errors} errors`)
    }
  } catch (error) {
    await server.stop()
    throw error
  }
  return { measurements, memory: await server.stop() }
}

/**
 * The middle one of the ceiling's measurements (before, between and after the scenarios), by
 * requests/s: a shared machine has slow moments, and one of them must not set every ratio.
 */
function medianOf (measurements: Measurement[]): Measurement {
  const sorted = [...measurements].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)
  return sorted[Math.floor(sorted.length / 2)]!
}

type ScenariosRun = Awaited<ReturnType<typeof measureScenarios>>

async function measureWorkers (run: BenchRun, files: CeilingFiles, workers: number, scenarios: Scenario[]): Promise<WorkerRun> {
  // Measured before the scenarios and after each cache setting's: a shared machine's speed drifts.
  const ceilings: Record<CeilingKind, Measurement[]> = { bare: [], shipped: [] }
  const measureCeilings = async () => {
    for (const kind of ['bare', 'shipped'] as const) ceilings[kind].push(await measureCeiling(run, files, workers, kind))
  }
  await measureCeilings()
  // Each build's server in turn for one cache setting, so that both meet the same moment of the machine.
  const byBuild = run.builds.map(() => new Map<CacheSetting, ScenariosRun>())
  for (const cache of CACHE_SETTINGS) {
    for (const [index, build] of run.builds.entries()) byBuild[index]!.set(cache, await measureScenarios(run, build, workers, cache, scenarios))
    await measureCeilings()
  }
  const [current, compared] = byBuild.map((byCache): BuildResults => ({
    results: scenarios.flatMap((scenario) => CACHE_SETTINGS.map((cache) =>
      ({ scenario, cache, measurement: byCache.get(cache)!.measurements.get(scenario)! }))),
    serverMemory: { on: byCache.get('on')!.memory, off: byCache.get('off')!.memory }
  }))
  return { workers, ceiling: medianOf(ceilings.bare), shippedCeiling: medianOf(ceilings.shipped), ...current!, ...(compared ? { compared } : {}) }
}

/** Written by Node, or by the as-shipped ceiling's own request id and rate limit. */
const HEADERS_NOT_REPLAYED = new RegExp(`^(date|connection|keep-alive|content-length|transfer-encoding|${REQUEST_ID_HEADER}|x-ratelimit-.*)$`)

/** Picks the scenarios' URLs and saves API page 1's body and headers (the ceilings') from a short-lived server. */
async function prepareScenarios (run: BenchRun, files: CeilingFiles) {
  const server = await startAppServer(run, run.builds[0]!, 1, 'on')
  try {
    const chosen = await chooseScenarios(server.url)
    const page1 = await fetch(`${server.url}/api/users/profiles`)
    const body = Buffer.from(await page1.arrayBuffer())
    const headers = Object.fromEntries([...page1.headers].filter(([name]) => !HEADERS_NOT_REPLAYED.test(name)))
    writeFileSync(files.body, body)
    writeFileSync(files.headers, JSON.stringify(headers))
    return { ...chosen, ceilingBodyBytes: body.length, ceilingHeaders: Object.keys(headers).length }
  } finally {
    await server.stop()
  }
}

async function runBenchmark (options: BenchOptions, argv: string[], run: BenchRun): Promise<void> {
  const started = performance.now()
  const { database, load } = run
  const files: CeilingFiles = { body: join(run.dir, 'ceiling-body.json'), headers: join(run.dir, 'ceiling-headers.json') }

  let seed
  if (database.seeded) {
    progress(`Measuring the ${database.description} as it is (remove it to seed it again)`)
  } else {
    progress(`Seeding ${options.users.toLocaleString('en-US')} sample users into the ${database.description}…`)
    seed = await seedSampleDatabase(options.users, database.seedArgs)
    progress(seedLine(seed))
  }

  const { scenarios, flatPages, search, ceilingBodyBytes, ceilingHeaders } = await prepareScenarios(run, files)
  const runs: WorkerRun[] = []
  for (const workers of options.workers) runs.push(await measureWorkers(run, files, workers, scenarios))
  // Two rounds, the faster of each kept: the comparison is page against page, so noise from the
  // shared machine should not decide it. This checkout's build only, as for the worst URLs.
  const current = run.builds[0]!
  const rounds = [await measureScenarios(run, current, 1, 'off', flatPages), await measureScenarios(run, current, 1, 'off', flatPages)]
  const flatRun: FlatPagesRun = {
    results: flatPages.map((scenario) => {
      const [first, second] = rounds.map((round) => round.measurements.get(scenario)!) as [Measurement, Measurement]
      return { scenario, measurement: second.requestsPerSecond > first.requestsPerSecond ? second : first }
    }),
    serverMemory: rounds[0]!.memory.perProcessKb > rounds[1]!.memory.perProcessKb ? rounds[0]!.memory : rounds[1]!.memory
  }

  const worstServer = await startAppServer(run, current, 1, 'off')
  const worst = await measureWorstUrls(worstServer.url, load, worstServer.cpuTicks)
  const isolation = await measureIsolation(worstServer.url, worst, load)
  await worstServer.stop()

  const autocannonVersion = (createRequire(import.meta.url)('autocannon/package.json') as { version: string }).version
  const report: BenchReport = {
    command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
    date: new Date(),
    database: database.description,
    serverConfig: SHIPPED_DESCRIPTION,
    builds: { current: current.label, ...(run.builds[1] ? { compared: run.builds[1].label } : {}) },
    load: `autocannon ${autocannonVersion}, ${options.connections} connections, pipelining 1, ` +
      `${options.duration} s per scenario after ${options.warmup} s of warm-up (a freshly started server, ` +
      `the ceiling's too, first gets ${FRESH_SERVER_WARMUPS * options.warmup} s on its first URL, then ${options.warmup} s on each other one, ` +
      'before any is measured); it runs in one process on the same ' +
      'machine, so it shares the cores with the server (with 2 workers on 2 cores, the ceiling can fall below 1 worker\'s)',
    seed,
    ceilingBodyBytes,
    ceilingHeaders,
    search,
    scenarios,
    runs,
    flatPages: flatRun
  }
  const markdown = renderReport(report) + renderWorstUrls(worst, isolation, runs[0]!.ceiling.requestsPerSecond)
  process.stdout.write(markdown)
  if (options.out !== false) {
    const out = resolve(options.out)
    mkdirSync(dirname(out), { recursive: true })
    writeFileSync(out, markdown)
    progress(`Wrote ${options.out}`)
  }
  progress(`The benchmark took ${Math.round((performance.now() - started) / 1000)} s.`)
}

const argv = process.argv.slice(2)
const options = parseBenchOptions(argv)
if (typeof options === 'number') process.exit(options)

const dir = mkdtempSync(join(tmpdir(), 'ghusers-bench-'))
const cleanUp = () => {
  killRunningServers()
  rmSync(dir, { recursive: true, force: true })
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    cleanUp()
    process.exit(130)
  })
}
let database: BenchDatabase | undefined
try {
  database = options.databaseUrl !== undefined
    ? await throwawayPostgres(options.databaseUrl)
    : options.db !== undefined ? keptSqliteFile(options.db) : sqliteFile(dir)
  const builds = [await thisCheckout()]
  if (options.compare !== undefined) {
    progress(`Building ${options.compare} in ${dir} with this checkout's node_modules…`)
    builds.push(await buildGitRef(options.compare, dir))
  }
  await runBenchmark(options, argv, { dir, database, load: { duration: options.duration, warmup: options.warmup, connections: options.connections }, builds })
} catch (error) {
  progress(`The benchmark failed: ${(error as Error).message}`)
  process.exitCode = 1
} finally {
  cleanUp()
  await database?.drop().catch((error: unknown) => progress(`Could not drop the benchmark's database: ${(error as Error).message}`))
}
