// The builds a benchmark serves: this checkout's dist/ and, with --compare, another git ref's,
// exported into the run's temporary folder and compiled there against this checkout's node_modules.
import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { PROJECT_ROOT } from '../../app/paths.js'

export interface ServerBuild {
  /** What the report calls it: which ref, at which commit. */
  label: string
  /** The folder holding its package.json and dist/: the server's working directory. */
  root: string
  /** node's arguments in its `npm start` ("exec node <flags> dist/app/server.js"): it runs as it does there. */
  startArgs: string[]
}

const execFileAsync = promisify(execFile)

async function run (command: string, args: string[], cwd: string): Promise<string> {
  try {
    return (await execFileAsync(command, args, { cwd, encoding: 'utf8', maxBuffer: 10 * 1024 * 1024 })).stdout.trim()
  } catch (error) {
    const { stdout = '', stderr = '', message } = error as { stdout?: string, stderr?: string, message: string }
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}: ${message}\n${stdout}${stderr}`)
  }
}

function startArgs (root: string): string[] {
  const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }
  return scripts.start.replace(/^exec node /, '').split(' ')
}

/** The checkout the benchmark runs from (`npm run bench` has just built its dist/). */
export async function thisCheckout (): Promise<ServerBuild> {
  const commit = await run('git', ['rev-parse', '--short', 'HEAD'], PROJECT_ROOT).catch(() => 'not a git checkout')
  const changed = await run('git', ['status', '--porcelain', '--untracked-files=no'], PROJECT_ROOT).catch(() => '')
  return { label: `this checkout (${commit}${changed ? ', with uncommitted changes' : ''})`, root: PROJECT_ROOT, startArgs: startArgs(PROJECT_ROOT) }
}

/**
 * Exports `ref` into a folder of `dir` and runs its own `npm run build` there, with this checkout's
 * node_modules linked in. `git archive` rather than `git worktree add`: nothing is registered in
 * the shared repository, so an interrupted run leaves nothing behind but its temporary folder.
 */
export async function buildGitRef (ref: string, dir: string): Promise<ServerBuild> {
  const commit = await run('git', ['rev-parse', '--verify', '--short', `${ref}^{commit}`], PROJECT_ROOT)
  const root = join(dir, `build-${commit}`)
  mkdirSync(root)
  await run('sh', ['-c', 'git archive --format=tar "$1" | tar -x -C "$2"', 'sh', commit, root], PROJECT_ROOT)
  symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir')
  await run('npm', ['run', '--silent', 'build'], root)
  return { label: `${ref} (${commit})`, root, startArgs: startArgs(root) }
}
