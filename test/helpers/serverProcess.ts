// Real server processes for the tests: spawned as production runs them, with their output, JSON log lines and exit.
import { spawn, type ChildProcess } from 'node:child_process'
import { get } from 'node:http'
import { join } from 'node:path'
import { PROJECT_ROOT } from '../../app/paths.js'
import { cleanUpLater } from './cleanup.js'

export interface ServerProcess {
  child: ChildProcess
  /** stdout and stderr as they arrived, interleaved. */
  output: () => string
  stdout: () => string
  stderr: () => string
  /** stdout's pino JSON lines, parsed (lines that are not JSON are left out). */
  logLines: () => LogLine[]
  /** The exit status, or null when a signal ended the process. */
  exited: Promise<number | null>
}

export type LogLine = Record<string, unknown> & { msg?: string, pid?: number, reqId?: string }

/** The compiled server, as `npm start` runs it after building (the suite's globalSetup builds dist/). */
export const COMPILED_SERVER = join(PROJECT_ROOT, 'dist', 'app', 'server.js')

/**
 * Spawns `command` in the project folder, listening on a free port of 127.0.0.1 unless `env` says
 * otherwise. A process still running when the test ends is killed (SIGKILL; a cluster's workers follow
 * their primary), so a failing test leaves none.
 */
export function spawnServer (command: string, args: string[], env: Record<string, string>, user: { uid?: number, gid?: number } = {}): ServerProcess {
  const child = spawn(command, args, {
    ...user,
    cwd: PROJECT_ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); stdout += chunk.toString() })
  child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); stderr += chunk.toString() })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  cleanUpLater(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  return {
    child,
    output: () => output,
    stdout: () => stdout,
    stderr: () => stderr,
    logLines: () => stdout.split('\n').flatMap((line) => {
      try { return [JSON.parse(line) as LogLine] } catch { return [] }
    }),
    exited
  }
}

/** `node dist/app/server.js` with `env`, as this user or another (`uid`, `gid`: only root may pick). */
export function startCompiledServer (env: Record<string, string>, user: { uid?: number, gid?: number } = {}): ServerProcess {
  return spawnServer(process.execPath, [COMPILED_SERVER], env, user)
}

/** Polls `probe` until it returns something other than undefined or false; fails after `timeoutMs`. */
export async function eventually<T> (what: string | (() => string), probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const LISTENING = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/g

/** The server's address, once `processes` processes (a cluster's workers) said they listen. */
export async function listeningUrl (server: ServerProcess, processes = 1): Promise<string> {
  return eventually(() => `${processes} "Server listening" lines in:\n${server.output()}`, () => {
    const urls = [...server.output().matchAll(LISTENING)].map((match) => match[1]!)
    return urls.length >= processes && urls[0]
  })
}

/** Resolves with the exit status, or fails when the process is still running after `timeoutMs`. */
export async function exitStatus (server: ServerProcess, timeoutMs = 20_000): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms:\n${server.output()}`)), timeoutMs)
  })
  try {
    return await Promise.race([server.exited, late])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * GET on a connection of its own (no keep-alive agent), so that each request is a new connection:
 * a cluster's round robin then spreads them over its workers.
 */
export function getOnNewConnection (url: string, headers: Record<string, string> = {}): Promise<{ status: number, body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false, headers }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => { body += chunk })
      response.on('end', () => resolve({ status: response.statusCode!, body }))
    }).on('error', reject)
  })
}
