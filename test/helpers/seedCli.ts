// The seed CLI's logic run in the test's process, with its output captured.
import { PassThrough } from 'node:stream'
import { runSeedCommand } from '../../app/seed/seedCommand.js'

export interface SeedRun { status: number, stdout: string, stderr: string }

/** Runs the seed CLI with `argv` (arguments only) and only `env` as its environment. */
export async function seed (argv: string[], env: Record<string, string | undefined> = {}): Promise<SeedRun> {
  const [stdout, stderr] = [new PassThrough(), new PassThrough()]
  const chunks = { stdout: '', stderr: '' }
  stdout.on('data', (chunk: Buffer) => { chunks.stdout += chunk.toString() })
  stderr.on('data', (chunk: Buffer) => { chunks.stderr += chunk.toString() })
  const status = await runSeedCommand(argv, { env, stdout, stderr })
  return { status, ...chunks }
}
