// A real Redis for the tests (Debian's redis-server; npm test installs it): one process per call,
// on a free port of 127.0.0.1, keeping nothing on disk, stopped when the test (or file) ends.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createConnection } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { cleanUpLater } from './cleanup.js'
import { REDIS_SERVER } from './debianPackages.js'
import { freePort } from './freePort.js'
import { temporaryDirectory } from './fixtures.js'

export interface RedisServer {
  url: string
  /** Stops it (SIGTERM) and waits for it to exit: its data goes with it. */
  stop: () => Promise<void>
  /** Starts it again, empty, on the same port. */
  start: () => Promise<void>
}

/** Whether something on `port` answers PING with PONG, as Redis does. */
async function answersPing (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => socket.write('PING\r\n'))
    socket.setTimeout(500, () => { socket.destroy(); resolve(false) })
    socket.once('data', (data) => { socket.destroy(); resolve(data.toString() === '+PONG\r\n') })
    socket.once('error', () => resolve(false))
  })
}

export async function startRedisServer (): Promise<RedisServer> {
  const port = await freePort()
  const dir = temporaryDirectory()
  let child: ChildProcess | undefined
  const start = async () => {
    child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: 'ignore' })
    for (let attempt = 0; !(await answersPing(port)); attempt++) {
      if (attempt === 100 || child.exitCode !== null) throw new Error(`${REDIS_SERVER} did not start on port ${port}`)
      await sleep(50)
    }
  }
  const stop = async () => {
    if (!child || child.exitCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    await exited
  }
  await start()
  cleanUpLater(stop)
  return { url: `redis://127.0.0.1:${port}`, stop, start }
}
