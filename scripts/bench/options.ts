// The benchmark's command line: `npm run bench -- [--users N] [--duration S] ...`, parsed and validated.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { isPostgresUrl } from '../../app/config.js'
import { integerIn, MAX_TOTAL } from '../../app/seed/seedCommand.js'

export interface BenchOptions {
  users: number
  /** Seconds each scenario is measured for. */
  duration: number
  /** Seconds each scenario runs, unmeasured, before that. */
  warmup: number
  connections: number
  /** Worker counts (WEB_CONCURRENCY) to measure, in order. */
  workers: number[]
  /** Where the markdown report goes; false only prints it. */
  out: string | false
  /** A PostgreSQL server to measure instead of a SQLite file (a database is made on it for the run). */
  databaseUrl?: string
  /** A SQLite file kept between runs: seeded when it does not exist, measured as it is when it does. */
  db?: string
  /** A git ref whose build is measured beside this checkout's, scenario by scenario. */
  compare?: string
}

export const DEFAULT_OUT = 'bench/RESULTS.md'
export const DEFAULT_POSTGRES_OUT = 'bench/RESULTS-postgres.md'

function workerList (value: string): number[] {
  const parse = integerIn(1, 64)
  const counts = value.split(',').map((item) => parse(item.trim()))
  if (new Set(counts).size !== counts.length) throw new InvalidArgumentError('expected distinct worker counts.')
  return counts
}

function nonEmpty (what: string) {
  return (value: string) => {
    if (!value.trim()) throw new InvalidArgumentError(`expected ${what}.`)
    return value
  }
}

function benchProgram (): Command {
  return new Command('npm run bench --')
    .description('Seed a sample database, serve it with the real server and measure every scenario with autocannon.')
    .addOption(new Option('--users <n>', 'sample users to seed').argParser(integerIn(1, MAX_TOTAL)).default(1_000_000))
    .addOption(new Option('--duration <seconds>', 'measured seconds per scenario').argParser(integerIn(1, 3600)).default(5))
    .addOption(new Option('--warmup <seconds>', 'unmeasured seconds before each scenario').argParser(integerIn(0, 600)).default(1))
    .addOption(new Option('--connections <n>', 'concurrent connections').argParser(integerIn(1, 1000)).default(10))
    .addOption(new Option('--workers <list>', 'comma-separated WEB_CONCURRENCY values to measure').argParser(workerList).default([1, 2], '1,2'))
    .addOption(new Option('--out <path>', 'markdown report to write').default(DEFAULT_OUT).argParser(nonEmpty('a file path')))
    .addOption(new Option('--no-out', 'only print the report'))
    .addOption(new Option('--database-url <url>', `measure PostgreSQL: a database is made on this server for the run, then dropped (report: ${DEFAULT_POSTGRES_OUT})`)
      .argParser((value: string) => {
        if (!isPostgresUrl(value)) throw new InvalidArgumentError('expected a postgres:// or postgresql:// URL.')
        return value
      }))
    .addOption(new Option('--db <file>', 'a SQLite file kept between runs: seeded with --users when it does not exist, reused as it is when it does')
      .conflicts('databaseUrl').argParser(nonEmpty('a file path')))
    .addOption(new Option('--compare <git-ref>', 'also build this git ref (in a temporary folder, with this checkout\'s node_modules) and measure it beside this checkout, scenario by scenario')
      .argParser(nonEmpty('a git ref')))
    .showHelpAfterError()
    .exitOverride()
}

/**
 * Parses `argv` (arguments only). Returns the options, or the exit status when there is nothing
 * to run: 0 after --help, 2 after a bad argument (commander has printed the usage).
 */
export function parseBenchOptions (argv: string[]): BenchOptions | number {
  try {
    const program = benchProgram().parse(argv, { from: 'user' })
    const options = program.opts<BenchOptions>()
    if (options.databaseUrl !== undefined && program.getOptionValueSource('out') === 'default') options.out = DEFAULT_POSTGRES_OUT
    return options
  } catch (error) {
    if (error instanceof CommanderError) return error.code === 'commander.helpDisplayed' ? 0 : 2
    throw error
  }
}
