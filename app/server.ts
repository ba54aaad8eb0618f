// The process: read the configuration, make sure there is a database, serve (in WEB_CONCURRENCY
// worker processes when asked), and shut down gracefully on SIGTERM or SIGINT.
import cluster from 'node:cluster'
import { existsSync } from 'node:fs'
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { createConfig, type AppConfig } from './config.js'
import { loggerOptions } from './http/accessLog.js'
import { answerWorkersMetricsRequests } from './metrics/clusterMetrics.js'
import { sampleAccounts } from './seed/sampleAccounts.js'
import { seedDatabase } from './seed/seedDatabase.js'
import { databaseLabel, prepareProfilesDatabase } from './store/profilesDatabase.js'

const FIRST_RUN_USERS = 150
const WORKER_EXIT_MARGIN_MS = 3_000

let config: AppConfig
try {
  config = createConfig(process.env)
} catch (error) {
  console.error(`Invalid configuration: ${(error as Error).message}`)
  process.exit(1)
}

try {
  if (cluster.isPrimary) {
    const created = await createDatabaseIfMissing(config)
    if (config.workers > 1) {
      await prepareProfilesDatabase(config)
      superviseWorkers(config.workers, created)
    } else {
      await serve(config, created)
    }
  } else {
    await serve(config, false)
  }
} catch (error) {
  // The database cannot be opened or reached, the port is taken…: one line that says so, not a stack.
  console.error(`Could not start (database: ${databaseLabel(config)}): ${(error as Error).message}`)
  process.exit(1)
}

/** A first run on no file gets a small sample one; PostgreSQL is migrated by buildApp and left to the seed CLI. */
async function createDatabaseIfMissing ({ databasePath, databaseUrl }: AppConfig): Promise<boolean> {
  if (databaseUrl !== undefined || existsSync(databasePath)) return false
  await seedDatabase({ databasePath, batches: sampleAccounts({ since: 0, total: FIRST_RUN_USERS }) })
  return true
}

async function serve (config: AppConfig, created: boolean): Promise<void> {
  const app = await buildApp(config, { logger: loggerOptions(config.logLevel) })
  if (created) logCreatedDatabase(app.log.info.bind(app.log), config)
  // Stop accepting, let requests in flight finish (app.close() waits for them, up to the delay),
  // then close the database (the profiles plugin's onClose) and exit 0.
  const delayMs = config.shutdownTimeoutSeconds * 1000
  closeWithGrace({ delay: delayMs }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down')
    // Closing the server closes the keep-alive connections idle at that moment; one still answering
    // a request would stay open for keepAliveTimeout (72 s) after its answer, past the shutdown
    // timeout. Node reads this when each answer ends: close those connections as soon as answered.
    app.server.keepAliveTimeout = 1
    // A connection that never finishes a request (a client that connected and went quiet) would
    // hold the close past the delay, and the process would exit 1: drop whatever is left just before.
    const deadline = setTimeout(() => app.server.closeAllConnections(), Math.max(0, delayMs - 500))
    await app.close()
    clearTimeout(deadline)
  })
  await app.listen({ port: config.port, host: config.host })
}

/** Forks the workers (they share the port), replaces one that dies, and stops them all on a signal. */
function superviseWorkers (count: number, created: boolean): void {
  const log = (message: string) => console.log(JSON.stringify({ level: 30, time: Date.now(), pid: process.pid, msg: message }))
  if (created) logCreatedDatabase(log, config)
  let stopping = false
  answerWorkersMetricsRequests()
  for (let i = 0; i < count; i++) cluster.fork()
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return
    log(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`)
    cluster.fork()
  })
  // The workers have the shutdown timeout each; the primary waits a little longer for them.
  closeWithGrace({ delay: config.shutdownTimeoutSeconds * 1000 + WORKER_EXIT_MARGIN_MS }, async ({ signal }) => {
    stopping = true
    log(`shutting down ${count} workers (${signal ?? 'error'})`)
    const workers = Object.values(cluster.workers ?? {}).filter((worker) => worker !== undefined)
    await Promise.all(workers.map((worker) => new Promise<void>((resolve) => {
      worker.once('exit', () => resolve())
      worker.process.kill('SIGTERM')
    })))
  })
  log(`started ${count} workers sharing port ${config.port}`)
}

function logCreatedDatabase (log: (message: string) => void, { databasePath }: AppConfig): void {
  log(`no database found at ${databasePath}: created one with ${FIRST_RUN_USERS} sample users. ` +
    'To load real accounts, run: npm run seed -- --total 1000 (set GITHUB_TOKEN for a higher rate limit)')
}
