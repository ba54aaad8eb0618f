// Entry of `npm run bench`: seeds a sample database (a SQLite file, or PostgreSQL with
// --database-url) with the seed CLI, serves it with the real server (result cache on, then off,
// for each worker count), drives every scenario with autocannon beside a bare-Fastify ceiling, and
// prints a markdown report, kept in bench/RESULTS.md (bench/RESULTS-postgres.md). See bench/README.md.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { PROJECT_ROOT } from '../app/paths.js'
import { killRunningServers, startChildServer, type ChildServer } from './bench/childServer.js'
import { sqliteFile, throwawayPostgres, type BenchDatabase } from './bench/database.js'
import { FRESH_SERVER_WARMUPS, measureLoad, warmUpFreshServer, type LoadOptions, type Measurement } from './bench/loadRun.js'
import { parseBenchOptions, type BenchOptions } from './bench/options.js'
import { renderReport, seedLine, type BenchReport, type CacheSetting, type FlatPagesRun, type WorkerRun } from './bench/report.js'
import { chooseScenarios, type Scenario } from './bench/scenarios.js'
import { seedSampleDatabase } from './bench/seedRun.js'
import { measureIsolation, measureWorstUrls, renderWorstUrls } from './bench/worstUrls.js'

const CACHE_SETTINGS: CacheSetting[] = ['on', 'off']
/** node's arguments in `npm start` ("exec node <flags> dist/app/server.js"): the server runs as it does there. */
const START_ARGS = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } })
  .scripts.start.replace(/^exec node /, '').split(' ')

const progress = (message: string) => process.stderr.write(`${message}\n`)
const workersLabel = (workers: number) => workers === 1 ? '1 worker' : `${workers} workers`

function startAppServer (database: BenchDatabase, workers: number, cache: CacheSetting): Promise<ChildServer> {
  return startChildServer({
    args: START_ARGS,
    // One client making every request would meet the per-client rate limit at once: it is off here.
    env: { ...database.serverEnv, LOG_LEVEL: 'warn', RESULT_CACHE: cache, RATE_LIMIT: 'off', WEB_CONCURRENCY: String(workers) },
    readyPath: '/ping',
    workers
  })
}

async function measureCeiling (bodyFile: string, workers: number, load: LoadOptions): Promise<Measurement> {
  const server = await startChildServer({
    args: ['dist/scripts/bench/ceilingServer.js'],
    env: { BODY_FILE: bodyFile, WORKERS: String(workers) },
    readyPath: '/',
    workers
  })
  try {
    await warmUpFreshServer([`${server.url}/`], load)
    const ceiling = await measureLoad(`${server.url}/`, load, server.cpuTicks)
    progress(`[${workersLabel(workers)}] ceiling: ${Math.round(ceiling.requestsPerSecond)} req/s`)
    return ceiling
  } finally {
    await server.stop()
  }
}

/** Measures every scenario on one server (one worker count, one cache setting); returns its memory peak too. */
async function measureScenarios (database: BenchDatabase, workers: number, cache: CacheSetting, scenarios: Scenario[], load: LoadOptions) {
  const server = await startAppServer(database, workers, cache)
  const measurements = new Map<Scenario, Measurement>()
  try {
    await warmUpFreshServer(scenarios.map((scenario) => server.url + scenario.path), load)
    for (const scenario of scenarios) {
      const measurement = await measureLoad(server.url + scenario.path, load, server.cpuTicks)
      measurements.set(scenario, measurement)
      progress(`[${workersLabel(workers)}, cache ${cache}] ${scenario.name}: ` +
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

async function measureWorkers (database: BenchDatabase, bodyFile: string, workers: number, scenarios: Scenario[], load: LoadOptions): Promise<WorkerRun> {
  // Measured before the scenarios and after each cache setting's: a shared machine's speed drifts.
  const ceilings = [await measureCeiling(bodyFile, workers, load)]
  const byCache = new Map<CacheSetting, Awaited<ReturnType<typeof measureScenarios>>>()
  for (const cache of CACHE_SETTINGS) {
    byCache.set(cache, await measureScenarios(database, workers, cache, scenarios, load))
    ceilings.push(await measureCeiling(bodyFile, workers, load))
  }
  const ceiling = medianOf(ceilings)
  return {
    workers,
    ceiling,
    results: scenarios.flatMap((scenario) => CACHE_SETTINGS.map((cache) =>
      ({ scenario, cache, measurement: byCache.get(cache)!.measurements.get(scenario)! }))),
    serverMemory: { on: byCache.get('on')!.memory, off: byCache.get('off')!.memory }
  }
}

/** Picks the scenarios' URLs and saves the API page 1 body (the ceiling's body) from a short-lived server. */
async function prepareScenarios (database: BenchDatabase, bodyFile: string) {
  const server = await startAppServer(database, 1, 'on')
  try {
    const chosen = await chooseScenarios(server.url)
    const body = Buffer.from(await (await fetch(`${server.url}/api/users/profiles`)).arrayBuffer())
    writeFileSync(bodyFile, body)
    return { ...chosen, ceilingBodyBytes: body.length }
  } finally {
    await server.stop()
  }
}

async function runBenchmark (options: BenchOptions, argv: string[], dir: string, database: BenchDatabase): Promise<void> {
  const started = performance.now()
  const bodyFile = join(dir, 'ceiling-body.json')
  const load: LoadOptions = { duration: options.duration, warmup: options.warmup, connections: options.connections }

  progress(`Seeding ${options.users.toLocaleString('en-US')} sample users into the ${database.description}…`)
  const seed = await seedSampleDatabase(options.users, database.seedArgs)
  progress(seedLine(seed))

  const { scenarios, flatPages, search, ceilingBodyBytes } = await prepareScenarios(database, bodyFile)
  const runs: WorkerRun[] = []
  for (const workers of options.workers) runs.push(await measureWorkers(database, bodyFile, workers, scenarios, load))
  // Two rounds, the faster of each kept: the comparison is page against page, so noise from the
  // shared machine should not decide it.
  const rounds = [await measureScenarios(database, 1, 'off', flatPages, load), await measureScenarios(database, 1, 'off', flatPages, load)]
  const flatRun: FlatPagesRun = {
    results: flatPages.map((scenario) => {
      const [first, second] = rounds.map((round) => round.measurements.get(scenario)!) as [Measurement, Measurement]
      return { scenario, measurement: second.requestsPerSecond > first.requestsPerSecond ? second : first }
    }),
    serverMemory: rounds[0]!.memory.perProcessKb > rounds[1]!.memory.perProcessKb ? rounds[0]!.memory : rounds[1]!.memory
  }

  const worstServer = await startAppServer(database, 1, 'off')
  const worst = await measureWorstUrls(worstServer.url, load, worstServer.cpuTicks)
  const isolation = await measureIsolation(worstServer.url, worst, load)
  await worstServer.stop()

  const autocannonVersion = (createRequire(import.meta.url)('autocannon/package.json') as { version: string }).version
  const report: BenchReport = {
    command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
    date: new Date(),
    database: database.description,
    load: `autocannon ${autocannonVersion}, ${options.connections} connections, pipelining 1, ` +
      `${options.duration} s per scenario after ${options.warmup} s of warm-up (a freshly started server, ` +
      `the ceiling's too, first gets ${FRESH_SERVER_WARMUPS * options.warmup} s on its first URL, then ${options.warmup} s on each other one, ` +
      'before any is measured); it runs in one process on the same ' +
      'machine, so it shares the cores with the server (with 2 workers on 2 cores, the ceiling can fall below 1 worker\'s)',
    seed,
    ceilingBodyBytes,
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
  database = options.databaseUrl === undefined ? sqliteFile(dir) : await throwawayPostgres(options.databaseUrl)
  await runBenchmark(options, argv, dir, database)
} catch (error) {
  progress(`The benchmark failed: ${(error as Error).message}`)
  process.exitCode = 1
} finally {
  cleanUp()
  await database?.drop().catch((error: unknown) => progress(`Could not drop the benchmark's database: ${(error as Error).message}`))
}
