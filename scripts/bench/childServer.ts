// Starts an HTTP server as a child process on 127.0.0.1, its output going to a log file, waits
// until it serves, and stops it.
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { cpuTicks, processTree, sampleTreeMemory, treeCpuTicks, type TreeMemoryPeak } from './processTree.js'

const HOST = '127.0.0.1'
const START_TIMEOUT_MS = 120_000
const STOP_TIMEOUT_MS = 15_000
/** A server tree that used no CPU for this long has finished starting up. */
const SETTLED_MS = 300

export interface ChildServerSpec {
  /** node's arguments: flags, then a compiled script relative to `cwd`. */
  args: string[]
  /** The build's folder (`npm run bench` builds first). */
  cwd: string
  env: Record<string, string>
  /** Where its stdout and stderr go, as `npm start > file` would send them; removed when it stops. */
  logFile: string
  /** A path that answers 200 once a process serves. */
  readyPath: string
  /** Server processes to wait for: 1 is the process itself, more are its cluster workers. */
  workers: number
}

export interface ChildServer {
  url: string
  /** CPU time the server and its workers have used so far, in clock ticks. */
  cpuTicks: () => number
  /** Stops the server (SIGTERM, then SIGKILL) and returns its memory peaks while it ran. */
  stop: () => Promise<TreeMemoryPeak>
}

const running = new Set<ChildProcess>()

/** Kills every server still running (for an interrupted benchmark). */
export function killRunningServers (): void {
  for (const child of running) killTree(child.pid!, 'SIGKILL')
}

export async function startChildServer (spec: ChildServerSpec): Promise<ChildServer> {
  const port = await freePort()
  const url = `http://${HOST}:${port}`
  const log = openSync(spec.logFile, 'w')
  const child = spawn(process.execPath, spec.args, {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env, HOST, PORT: String(port) },
    stdio: ['ignore', log, log]
  })
  closeSync(log)
  running.add(child)
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    running.delete(child)
    resolve()
  }))
  const memory = sampleTreeMemory(child.pid!)

  try {
    await waitUntilServing(url + spec.readyPath, child)
    await waitUntilSettled(child.pid!, spec.workers)
  } catch (error) {
    killTree(child.pid!, 'SIGKILL')
    memory.stop()
    throw new Error(`${spec.args.join(' ')} did not start: ${(error as Error).message}\n${readFileSync(spec.logFile, 'utf8').slice(-4000)}`)
  }

  return {
    url,
    cpuTicks: () => treeCpuTicks(child.pid!),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        // It died under load: its log is kept out of the run's folder, for whoever reads the errors in the report.
        const kept = join(tmpdir(), `ghusers-bench-server-${child.pid}.log`)
        renameSync(spec.logFile, kept)
        process.stderr.write(`${spec.args.join(' ')} exited (${child.exitCode ?? child.signalCode}) before it was stopped; its log: ${kept}\n`)
        return memory.stop()
      }
      child.kill('SIGTERM')
      const stopped = await Promise.race([exited.then(() => true), sleep(STOP_TIMEOUT_MS, false, { ref: false })])
      if (!stopped) killTree(child.pid!, 'SIGKILL')
      rmSync(spec.logFile, { force: true })
      return memory.stop()
    }
  }
}

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

async function waitUntilServing (url: string, child: ChildProcess): Promise<void> {
  for (let waited = 0; waited < START_TIMEOUT_MS; waited += 100) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited with ${child.exitCode ?? child.signalCode}`)
    try {
      const response = await fetch(url)
      if (response.ok) return
    } catch {
      // not listening yet
    }
    await sleep(100)
  }
  throw new Error(`${url} did not answer within ${START_TIMEOUT_MS / 1000} s`)
}

/**
 * The first worker to listen answers before the others have built their app; a worker that
 * is not yet listening gets no connections. So wait until every worker exists and the whole
 * tree has gone quiet: then each has finished starting.
 */
async function waitUntilSettled (rootPid: number, workers: number): Promise<void> {
  const wanted = workers > 1 ? workers + 1 : 1
  let quietSince = performance.now()
  let lastTicks = -1
  for (let waited = 0; waited < START_TIMEOUT_MS; waited += 50) {
    const tree = processTree(rootPid)
    const ticks = tree.reduce((sum, pid) => sum + cpuTicks(pid), 0)
    if (ticks !== lastTicks || tree.length < wanted) quietSince = performance.now()
    lastTicks = ticks
    if (performance.now() - quietSince >= SETTLED_MS) return
    await sleep(50)
  }
  throw new Error(`its ${workers} workers did not settle within ${START_TIMEOUT_MS / 1000} s`)
}

function killTree (rootPid: number, signal: NodeJS.Signals): void {
  for (const pid of processTree(rootPid).reverse()) {
    try {
      process.kill(pid, signal)
    } catch {
      // already gone
    }
  }
}
