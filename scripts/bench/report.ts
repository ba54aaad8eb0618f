// The benchmark's report: the machine it ran on and one markdown table per worker count.
import { readFileSync } from 'node:fs'
import { availableParallelism, release, totalmem } from 'node:os'
import type { Measurement } from './loadRun.js'
import type { TreeMemoryPeak } from './processTree.js'
import type { Scenario } from './scenarios.js'
import type { SeedRun } from './seedRun.js'

export type CacheSetting = 'on' | 'off'

/** One build's scenarios at one worker count, with the result cache on and off. */
export interface BuildResults {
  results: Array<{ scenario: Scenario, cache: CacheSetting, measurement: Measurement }>
  serverMemory: Record<CacheSetting, TreeMemoryPeak>
}

export interface WorkerRun extends BuildResults {
  workers: number
  ceiling: Measurement
  /** The ceiling with what `npm start` puts around any answer: its request log, rate limit and page 1's headers. */
  shippedCeiling: Measurement
  /** The --compare build's, measured in turn with this checkout's against the same ceiling. */
  compared?: BuildResults
}

/** Page 1 and a deep page of every order, cache off, one worker. */
export interface FlatPagesRun {
  results: Array<{ scenario: Scenario, measurement: Measurement }>
  serverMemory: TreeMemoryPeak
}

export interface BenchReport {
  command: string
  date: Date
  /** Which database was measured (the SQLite file, or PostgreSQL). */
  database: string
  load: string
  /** How the servers ran (the configuration `npm start` ships). */
  serverConfig: string
  /** Undefined when --db named a file seeded by an earlier run. */
  seed: SeedRun | undefined
  /** What this checkout's build and the --compare build are called. */
  builds: { current: string, compared?: string }
  ceilingBodyBytes: number
  /** How many of API page 1's headers the as-shipped ceiling sends as they are. */
  ceilingHeaders: number
  search: { term: string, total: number }
  scenarios: Scenario[]
  runs: WorkerRun[]
  flatPages: FlatPagesRun
}

/** The issues' limits: seed time, RSS per process, and throughput and latency ratios (page 1's: as shipped, 1 worker). */
export const TARGETS = {
  seedSeconds: 60,
  peakRssMb: 200,
  deepOverFirstP50: 1.5,
  searchOverPage1: 0.25,
  page1CacheOffOverCeiling: 0.25,
  page1CacheOnOverCeiling: 0.4
}

const integer = (value: number) => Math.round(value).toLocaleString('en-US')
const megabytes = (kb: number) => `${integer(kb / 1024)} MB`
const milliseconds = (ms: number) => Number.isNaN(ms) ? '–' : ms.toFixed(2)
const microseconds = (us: number) => Number.isNaN(us) ? '–' : us.toFixed(0)
const times = (value: number) => `${value.toFixed(2)}×`
const workersLabel = (workers: number) => workers === 1 ? '1 worker' : `${workers} workers`

export function describeMachine (): string {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown CPU'
  const memory = `${(totalmem() / 2 ** 30).toFixed(1)} GiB`
  return `${model}, ${availableParallelism()} cores, ${memory} memory, Linux ${release()}, Node ${process.version}`
}

export function seedLine ({ users, seconds, peakRssKb }: SeedRun): string {
  return `Seeded ${integer(users)} users in ${seconds.toFixed(1)} s, peak RSS ${megabytes(peakRssKb)}`
}

function memoryLine (cache: CacheSetting, { perProcessKb, totalKb, processes }: TreeMemoryPeak): string {
  const count = processes === 1 ? '1 process' : `${processes} processes`
  return `cache ${cache}: ${megabytes(perProcessKb)} per process, ${megabytes(totalKb)} total (${count})`
}

function row (cells: string[]): string {
  return `| ${cells.join(' | ')} |`
}

function measurementCells (measurement: Measurement, ceiling: Measurement): string[] {
  return [
    integer(measurement.requestsPerSecond),
    milliseconds(measurement.p50Ms),
    milliseconds(measurement.p99Ms),
    integer(measurement.errors),
    times(measurement.requestsPerSecond / ceiling.requestsPerSecond),
    microseconds(measurement.serverCpuUsPerRequest),
    times(measurement.serverCpuUsPerRequest / ceiling.serverCpuUsPerRequest)
  ]
}

/** This checkout's and the --compare build's figures side by side, per scenario and cache setting. */
export function comparisonTable (run: WorkerRun, builds: BenchReport['builds']): string {
  const compared = run.compared!
  const thisName = 'this'
  const thatName = builds.compared!.replace(/ \(.*$/, '')
  const cells = (measurement: Measurement) => [
    `${integer(measurement.requestsPerSecond)}${measurement.errors ? ` (${integer(measurement.errors)} errors)` : ''}`,
    times(measurement.requestsPerSecond / run.ceiling.requestsPerSecond), microseconds(measurement.serverCpuUsPerRequest)]
  return [
    `## Side by side, ${workersLabel(run.workers)}: ${builds.current} and ${builds.compared}`,
    '',
    `The same scenarios, each build's server measured in turn, against the same ceiling (${integer(run.ceiling.requestsPerSecond)} req/s, ` +
      `${microseconds(run.ceiling.serverCpuUsPerRequest)} µs of server CPU a request).`,
    '',
    row(['scenario', 'cache', `${thisName} req/s`, '× ceiling', 'CPU µs/req', `${thatName} req/s`, '× ceiling', 'CPU µs/req', `${thisName} ÷ ${thatName}`]),
    row(['---', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...run.results.map(({ scenario, cache, measurement }) => {
      const other = compared.results.find((result) => result.scenario === scenario && result.cache === cache)!.measurement
      return row([scenario.name, cache, ...cells(measurement), ...cells(other), times(measurement.requestsPerSecond / other.requestsPerSecond)])
    }),
    '',
    `Server peak RSS, ${thisName}: ${memoryLine('on', run.serverMemory.on)}; ${memoryLine('off', run.serverMemory.off)}.`,
    `Server peak RSS, ${thatName}: ${memoryLine('on', compared.serverMemory.on)}; ${memoryLine('off', compared.serverMemory.off)}.`
  ].join('\n')
}

export function workerTable (run: WorkerRun, { ceilingBodyBytes, ceilingHeaders }: BenchReport): string {
  const lines = [
    `## ${workersLabel(run.workers)} (WEB_CONCURRENCY=${run.workers})`,
    '',
    row(['scenario', 'cache', 'req/s', 'p50 ms', 'p99 ms', 'errors', '× ceiling', 'server CPU µs/req', 'CPU × ceiling']),
    row(['---', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
    row([`ceiling: bare Fastify, ${integer(ceilingBodyBytes)}-byte body`, '–', ...measurementCells(run.ceiling, run.ceiling)]),
    row([`ceiling as shipped: info log, rate limit, request id and ${ceilingHeaders} headers`, '–', ...measurementCells(run.shippedCeiling, run.ceiling)]),
    ...run.results.map(({ scenario, cache, measurement }) =>
      row([scenario.name, cache, ...measurementCells(measurement, run.ceiling)])),
    '',
    `Server peak RSS: ${memoryLine('on', run.serverMemory.on)}; ${memoryLine('off', run.serverMemory.off)}.`
  ]
  return lines.join('\n')
}

/** The order_by values of flat-page keys such as "-username:deep". */
function orderNames (keys: Iterable<string>): string[] {
  return [...new Set([...keys].map((key) => key.split(':')[0]!))]
}

export function flatPagesTable ({ results, serverMemory }: FlatPagesRun): string {
  const byKey = new Map(results.map(({ scenario, measurement }) => [scenario.key, { scenario, measurement }]))
  const orders = orderNames(byKey.keys())
  return [
    '## Deep pages cost what page 1 costs (result cache off, 1 worker)',
    '',
    'Each URL measured twice, alternating with the others; the faster run is shown.',
    '',
    row(['order_by', 'page 1 req/s', 'page 1 p50 ms', 'deep page', 'deep req/s', 'deep p50 ms', 'deep p50 ÷ page 1 p50']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...orders.map((order) => {
      const first = byKey.get(`${order}:1`)!.measurement
      const deep = byKey.get(`${order}:deep`)!
      return row([order, integer(first.requestsPerSecond), milliseconds(first.p50Ms), deep.scenario.name.split(', ')[1]!,
        integer(deep.measurement.requestsPerSecond), milliseconds(deep.measurement.p50Ms), `${(deep.measurement.p50Ms / first.p50Ms).toFixed(2)}×`])
    }),
    '',
    `Server peak RSS: ${memoryLine('off', serverMemory)}.`
  ].join('\n')
}

interface Check { label: string, value: string, met: boolean }

/** Each target of the issue, with what this run measured. */
export function targetChecks (report: BenchReport): Check[] {
  const checks: Check[] = []
  if (report.seed) {
    checks.push({
      label: `seeding ${integer(report.seed.users)} users takes under ${TARGETS.seedSeconds} s`,
      value: `${report.seed.seconds.toFixed(1)} s`,
      met: report.seed.seconds < TARGETS.seedSeconds
    })
  }
  const peaks = [...report.runs.flatMap((run) => [run.serverMemory.on, run.serverMemory.off]), report.flatPages.serverMemory]
  const peakKb = Math.max(...peaks.map((peak) => peak.perProcessKb))
  checks.push({ label: `server RSS stays under ${TARGETS.peakRssMb} MB per process`, value: `peak ${megabytes(peakKb)}`, met: peakKb / 1024 < TARGETS.peakRssMb })

  const flat = new Map(report.flatPages.results.map(({ scenario, measurement }) => [scenario.key, measurement]))
  const worstDeep = Math.max(...orderNames(flat.keys()).map((order) => flat.get(`${order}:deep`)!.p50Ms / flat.get(`${order}:1`)!.p50Ms))
  checks.push({ label: `cache off, every order_by: deep page p50 within ${TARGETS.deepOverFirstP50}× of page 1's`, value: `worst ${worstDeep.toFixed(2)}×`, met: worstDeep <= TARGETS.deepOverFirstP50 })

  for (const run of report.runs) {
    const workers = workersLabel(run.workers)
    const measured = (key: string, cache: CacheSetting) => run.results.find((result) => result.scenario.key === key && result.cache === cache)!.measurement
    const search = measured('search', 'off').requestsPerSecond / measured('page1', 'off').requestsPerSecond
    checks.push({ label: `${workers}, cache off: username search ≥ ${TARGETS.searchOverPage1}× page 1's req/s`, value: `${search.toFixed(2)}×`, met: search >= TARGETS.searchOverPage1 })
    if (run.workers !== 1) continue
    for (const [cache, target] of [['off', TARGETS.page1CacheOffOverCeiling], ['on', TARGETS.page1CacheOnOverCeiling]] as const) {
      const page1 = measured('page1', cache)
      const ratio = page1.requestsPerSecond / run.ceiling.requestsPerSecond
      const cpu = page1.serverCpuUsPerRequest / run.ceiling.serverCpuUsPerRequest
      const shipped = run.shippedCeiling.requestsPerSecond / run.ceiling.requestsPerSecond
      checks.push({
        label: `${workers}, cache ${cache}: API page 1 ≥ ${target.toFixed(2)}× the ceiling`,
        value: `${ratio.toFixed(2)}× (server CPU per request ${cpu.toFixed(2)}× the ceiling's; the ceiling as shipped reaches ${shipped.toFixed(2)}×)`,
        met: ratio >= target
      })
    }
  }
  return checks
}

export function renderReport (report: BenchReport): string {
  return [
    '# ghusers benchmark',
    '',
    `- Machine: ${describeMachine()}`,
    `- Date: ${report.date.toISOString().replace(/\.\d+Z$/, 'Z')}`,
    `- Command: \`${report.command}\``,
    `- Database: ${report.database}`,
    `- Load: ${report.load}`,
    `- Servers: ${report.serverConfig}`,
    `- Builds: ${report.builds.current}${report.builds.compared ? `, and ${report.builds.compared} beside it (--compare)` : ''}`,
    `- Seed: ${report.seed ? seedLine(report.seed) : 'none (the file was seeded by an earlier run)'}`,
    '',
    'Scenarios (the username term is the 2–3 letter candidate matching most rows: ' +
      `"${report.search.term}", ${integer(report.search.total)} rows):`,
    '',
    ...report.scenarios.map(({ name, path }) => `- ${name}: \`${path}\``),
    '- ceiling: a bare Fastify route sending a pre-serialised buffer as large as the API page 1 body, ' +
      'with the same worker count, measured before the scenarios and after each cache setting (the median of the three is shown); ' +
      '× ceiling is each scenario\'s req/s divided by its req/s.',
    '- ceiling as shipped: the same route with what `npm start` puts around any answer, and nothing else of the app: ' +
      'its request log (`LOG_LEVEL=info`, to the same file) and rate limit, from the app\'s own modules, its request id, ' +
      'and the other headers API page 1 carries, sent as they are. A scenario\'s cost beyond it is the app\'s own work ' +
      '(its request histogram included); measured beside each ceiling (the median of its three is shown). Both ceilings run ' +
      'with the node flags of `npm start`.',
    '- server CPU µs/req: the user and system CPU time of the server and its workers during the measured ' +
      'seconds, per answer (from /proc); CPU × ceiling divides it by the ceiling\'s. Steadier than req/s on a ' +
      'shared machine, since it does not depend on how much of the cores the load generator leaves the server.',
    '',
    ...report.runs.flatMap((run) => [workerTable(run, report), '',
      ...(run.compared ? [comparisonTable(run, report.builds), ''] : [])]),
    flatPagesTable(report.flatPages),
    '',
    '## Targets',
    '',
    ...targetChecks(report).map(({ label, value, met }) => `- ${met ? '✅' : '❌'} ${label}: ${value}`),
    ''
  ].join('\n')
}
