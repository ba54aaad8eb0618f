// Seeds the benchmark's database with the real seed CLI, timing it and watching its memory.
import { spawn } from 'node:child_process'
import { PROJECT_ROOT } from '../../app/paths.js'
import { sampleTreeMemory } from './processTree.js'

export interface SeedRun {
  users: number
  seconds: number
  peakRssKb: number
}

/** Runs the compiled seed CLI, `dist/scripts/seed.js --source sample --total <users> <target>`; throws with its output if it fails. */
export async function seedSampleDatabase (users: number, target: string[]): Promise<SeedRun> {
  const started = performance.now()
  const child = spawn(process.execPath,
    ['dist/scripts/seed.js', '--source', 'sample', '--total', String(users), ...target],
    { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  const memory = sampleTreeMemory(child.pid!, 50)
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', resolve)
  })
  const seconds = (performance.now() - started) / 1000
  const { perProcessKb } = memory.stop()
  if (code !== 0) throw new Error(`the seed CLI exited with ${code}:\n${output}`)
  return { users, seconds, peakRssKb: perProcessKb }
}
