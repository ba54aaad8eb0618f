// Entry of `npm run seed`: see app/seed/seedCommand.ts.
import { runSeedCommand } from '../app/seed/seedCommand.js'

process.exitCode = await runSeedCommand(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr
})
