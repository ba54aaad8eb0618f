// The seed CLI's logic: parse arguments, pick the source, write the file, report.
import { relative } from 'node:path'
import { SingleBar } from 'cli-progress'
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { isPostgresUrl } from '../config.js'
import { databasePathFrom } from '../paths.js'
import { databaseLabel } from '../store/profilesDatabase.js'
import { MAX_ACCOUNT_ID } from '../schemas/profiles.js'
import { githubAccounts, GitHubRateLimitError, GitHubUnavailableError } from './githubAccounts.js'
import { sampleAccounts } from './sampleAccounts.js'
import { seedDatabase } from './seedDatabase.js'
import { SeedInterruptedError } from './seedProfiles.js'
import { seedPostgres } from './seedPostgres.js'

export const MAX_TOTAL = 10_000_000
const DEFAULT_GITHUB_API_URL = 'https://api.github.com'

export interface SeedCommandIo {
  env: Record<string, string | undefined>
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream & { isTTY?: boolean }
}

interface SeedArguments {
  total: number
  source: 'github' | 'sample'
  db?: string
  databaseUrl?: string
  since: number
  maxWait: number
}

/** A commander argument parser for a whole number in min..max (decimal digits only). */
export function integerIn (min: number, max: number) {
  return (value: string): number => {
    const number = Number(value)
    if (!/^\d+$/.test(value) || number < min || number > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max.toLocaleString('en-US')}.`)
    }
    return number
  }
}

function seedProgram (io: SeedCommandIo): Command {
  return new Command('npm run seed --')
    .description('Build or top up the ghusers database (the SQLite file, or PostgreSQL) from the GitHub API or the sample source.')
    .addOption(new Option('-t, --total <n>', `users to store, 1..${MAX_TOTAL.toLocaleString('en-US')}`)
      .argParser(integerIn(1, MAX_TOTAL)).default(150))
    .addOption(new Option('--source <source>', 'where accounts come from').choices(['github', 'sample']).default('github'))
    .addOption(new Option('--db <path>', 'SQLite file to write (default: $DATABASE_PATH or database/github_users.db)')
      .argParser((value: string) => {
        if (!value.trim()) throw new InvalidArgumentError('expected a file path.')
        return value
      }))
    .addOption(new Option('--database-url <url>', 'PostgreSQL to write instead of a file (default: $DATABASE_URL)')
      .argParser((value: string) => {
        if (!isPostgresUrl(value)) throw new InvalidArgumentError('expected a postgres:// or postgresql:// URL.')
        return value
      }).conflicts('db'))
    .addOption(new Option('--since <id>', 'start after this account id').argParser(integerIn(0, MAX_ACCOUNT_ID)).default(0))
    .addOption(new Option('--max-wait <seconds>', 'longest GitHub rate-limit wait to sit out')
      .argParser(integerIn(0, 86_400)).default(60))
    .addHelpText('after', `
Environment: GITHUB_TOKEN (sent as a Bearer token), GITHUB_API_URL (default ${DEFAULT_GITHUB_API_URL}), DATABASE_PATH,
  DATABASE_URL (PostgreSQL; --db writes a file instead).
Examples:
  npm run seed -- --total 1000
  npm run seed -- --source sample --total 100000 --db /tmp/users.db
  npm run seed -- --total 1000 --database-url postgres://ghusers@db.internal/ghusers`)
    .allowExcessArguments() // reported below, naming the argument
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text)
    })
}

/** Runs the seed CLI with `argv` (arguments only) and returns its exit status. */
export async function runSeedCommand (argv: string[], io: SeedCommandIo): Promise<number> {
  let args: SeedArguments
  try {
    const program = seedProgram(io).parse(argv, { from: 'user' })
    if (program.args.length) program.error(`error: unexpected argument '${program.args[0]}'`, { exitCode: 2 })
    args = program.opts<SeedArguments>()
  } catch (error) {
    if (error instanceof CommanderError) return error.code === 'commander.helpDisplayed' ? 0 : 2
    throw error
  }

  // A flag beats the environment; of the two variables, DATABASE_URL, as the server reads it.
  const databaseUrl = args.db ? undefined : args.databaseUrl ?? io.env.DATABASE_URL
  if (databaseUrl !== undefined && !isPostgresUrl(databaseUrl)) {
    io.stderr.write(`error: DATABASE_URL must be a postgres:// or postgresql:// URL (got ${JSON.stringify(databaseUrl)})\n\n`)
    io.stderr.write(seedProgram(io).helpInformation())
    return 2
  }
  const databasePath = databasePathFrom(args.db ?? io.env.DATABASE_PATH)
  const shownPath = databaseUrl ? databaseLabel({ databasePath, databaseUrl }) : relative(process.cwd(), databasePath) || databasePath
  const progress = io.stderr.isTTY
    ? new SingleBar({ format: 'Seeding [{bar}] {percentage}% | {value}/{total} users | {eta_formatted} left', stream: io.stderr })
    : undefined
  const batches = args.source === 'sample'
    ? sampleAccounts({ since: args.since, total: args.total })
    : githubAccounts({
      apiUrl: io.env.GITHUB_API_URL || DEFAULT_GITHUB_API_URL,
      token: io.env.GITHUB_TOKEN || undefined,
      since: args.since,
      total: args.total,
      maxWaitSeconds: args.maxWait,
      onWait: (message) => io.stderr.write(`${message}\n`)
    })

  progress?.start(args.total, 0)
  try {
    const onProgress = (written: number) => progress?.update(written)
    const result = databaseUrl
      ? await seedPostgres({ databaseUrl, batches, onProgress })
      : await seedDatabase({ databasePath, batches, onProgress })
    progress?.stop()
    if (result.written < args.total) {
      io.stderr.write(`GitHub had only ${result.written} accounts after id ${args.since}; kept them.\n`)
    }
    io.stdout.write(`Wrote ${result.written} users to ${shownPath} in ${result.seconds.toFixed(2)} s (source: ${args.source}).\n`)
    return 0
  } catch (error) {
    progress?.stop()
    io.stderr.write(`${failureMessage(error, shownPath, args.total)}\n`)
    return 1
  }
}

function failureMessage (error: unknown, shownPath: string, total: number): string {
  if (error instanceof SeedInterruptedError) {
    const { written, lastId } = error.result
    return `Stopped after writing ${written} of ${total} users to ${shownPath} (resume with --since ${lastId}): ` +
      failureMessage(error.cause, shownPath, total)
  }
  if (error instanceof GitHubRateLimitError || error instanceof GitHubUnavailableError) return error.message
  const reason = error instanceof Error ? error.message : String(error)
  return `Could not write ${shownPath}: ${reason}`
}
