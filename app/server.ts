// The process: read the configuration, make sure there is a database, listen, shut down gracefully.
import { existsSync } from 'node:fs'
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { createConfig, type AppConfig } from './config.js'
import { sampleAccounts } from './seed/sampleAccounts.js'
import { seedDatabase } from './seed/seedDatabase.js'

const FIRST_RUN_USERS = 150

let config: AppConfig
try {
  config = createConfig(process.env)
} catch (error) {
  console.error(`Invalid configuration: ${(error as Error).message}`)
  process.exit(1)
}

const app = await buildAppWithDatabase(config)
closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'shutting down after an error')
  else app.log.info({ signal }, 'shutting down')
  await app.close()
})
await app.listen({ port: config.port, host: config.host })

async function buildAppWithDatabase (config: AppConfig) {
  const created = !existsSync(config.databasePath)
  if (created) {
    await seedDatabase({ databasePath: config.databasePath, batches: sampleAccounts({ since: 0, total: FIRST_RUN_USERS }) })
  }
  const app = await buildApp(config, { logger: { level: config.logLevel } })
  if (created) {
    app.log.info({ file: config.databasePath, users: FIRST_RUN_USERS },
      `no database found: created one with ${FIRST_RUN_USERS} sample users. ` +
      'To load real accounts, run: npm run seed -- --total 1000 (set GITHUB_TOKEN for a higher rate limit)')
  }
  return app
}
