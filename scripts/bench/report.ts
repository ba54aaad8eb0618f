// The benchmark's report: the machine it ran on and one markdown table per worker count.
import { readFileSync } from 'node:fs'
import { availableParallelism, release, totalmem } from 'node:os'
import type { Measurement } from './loadRun.js'
import type { TreeMemoryPeak } from './processTree.js'
import type { Scenario } from './scenarios.js'
import type { SeedRun } from './seedRun.js'

export type CacheSetting = 'on' | 'off'

export interface WorkerRun {
  workers: number
  ceiling: Measurement
  results: Array<{ scenario: Scenario, cache: CacheSetting, measurement: Measurement }>
  serverMemory: Record<CacheSetting, TreeMemoryPeak>
}

export interface BenchReport {
  command: string
  date: Date
  load: string
  seed: SeedRun
  ceilingBodyBytes: number
  search: { term: string, total: number }
  scenarios: Scenario[]
  runs: WorkerRun[]
}

const integer = (value: number) => Math.round(value).toLocaleString('en-US')
const megabytes = (kb: number) => `${integer(kb / 1024)} MB`
const milliseconds = (ms: number) => Number.isNaN(ms) ? '–' : ms.toFixed(2)

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
    `${(measurement.requestsPerSecond / ceiling.requestsPerSecond).toFixed(2)}×`
  ]
}

export function workerTable (run: WorkerRun, ceilingBodyBytes: number): string {
  const heading = run.workers === 1 ? '1 worker' : `${run.workers} workers`
  const lines = [
    `## ${heading} (WEB_CONCURRENCY=${run.workers})`,
    '',
    row(['scenario', 'cache', 'req/s', 'p50 ms', 'p99 ms', 'errors', '× ceiling']),
    row(['---', '---', '---:', '---:', '---:', '---:', '---:']),
    row([`ceiling: bare Fastify, ${integer(ceilingBodyBytes)}-byte body`, '–', ...measurementCells(run.ceiling, run.ceiling)]),
    ...run.results.map(({ scenario, cache, measurement }) =>
      row([scenario.name, cache, ...measurementCells(measurement, run.ceiling)])),
    '',
    `Server peak RSS: ${memoryLine('on', run.serverMemory.on)}; ${memoryLine('off', run.serverMemory.off)}.`
  ]
  return lines.join('\n')
}

export function renderReport (report: BenchReport): string {
  return [
    '# ghusers benchmark',
    '',
    `- Machine: ${describeMachine()}`,
    `- Date: ${report.date.toISOString().replace(/\.\d+Z$/, 'Z')}`,
    `- Command: \`${report.command}\``,
    `- Load: ${report.load}`,
    `- Seed: ${seedLine(report.seed)}`,
    '',
    'Scenarios (the username term is the 2–3 letter candidate matching most rows: ' +
      `"${report.search.term}", ${integer(report.search.total)} rows):`,
    '',
    ...report.scenarios.map(({ name, path }) => `- ${name}: \`${path}\``),
    '- ceiling: a bare Fastify route sending a pre-serialised buffer as large as the API page 1 body, ' +
      'with the same worker count; × ceiling is each scenario\'s req/s divided by its req/s.',
    '',
    ...report.runs.flatMap((run) => [workerTable(run, report.ceilingBodyBytes), ''])
  ].join('\n')
}
