// The container setup without a Docker engine: the Dockerfile lints clean and reads right, what its
// runtime stage copies exists and serves on its own, and docker-compose.yml wires service, port and volume.
import { spawn, spawnSync } from 'node:child_process'
import { cpSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join, posix } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { createConfig } from '../app/config.js'
import { PROJECT_ROOT } from '../app/paths.js'
import { temporaryDirectory } from './helpers/fixtures.js'

interface Instruction { keyword: string, args: string, line: number }
interface Stage { base: string, name: string | undefined, instructions: Instruction[] }

/** Logical instructions: continuation lines joined, comments and blank lines dropped. */
function instructionsOf (text: string): Instruction[] {
  const instructions: Instruction[] = []
  let pending: { text: string, line: number } | undefined
  text.split('\n').forEach((raw, index) => {
    const line = raw.trimEnd()
    if (/^\s*#/.test(line) || (!pending && line.trim() === '')) return
    const joined = pending ? `${pending.text} ${line.trim()}` : line.trim()
    if (joined.endsWith('\\')) {
      pending = { text: joined.slice(0, -1).trimEnd(), line: pending?.line ?? index + 1 }
      return
    }
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(joined) ?? []
    instructions.push({ keyword: keyword.toUpperCase(), args, line: pending?.line ?? index + 1 })
    pending = undefined
  })
  return instructions
}

/** Stages split at FROM, each base with the global ARGs' defaults substituted. */
function stagesOf (text: string): Stage[] {
  const globals = new Map<string, string>()
  const stages: Stage[] = []
  for (const instruction of instructionsOf(text)) {
    if (instruction.keyword === 'FROM') {
      const [image = '', , name] = instruction.args.replace(/--platform=\S+\s+/, '').split(/\s+/)
      const base = image.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, braced?: string, bare?: string) => globals.get((braced ?? bare)!) ?? '')
      stages.push({ base, name, instructions: [] })
    } else if (stages.length === 0) {
      const [, key, value] = /^(\w+)=(\S*)$/.exec(instruction.args) ?? []
      if (instruction.keyword === 'ARG' && key) globals.set(key, value!)
    } else {
      stages.at(-1)!.instructions.push(instruction)
    }
  }
  return stages
}

const all = (stage: Stage, keyword: string) => stage.instructions.filter((instruction) => instruction.keyword === keyword)
const last = (stage: Stage, keyword: string) => all(stage, keyword).at(-1)

function envOf (stage: Stage): Record<string, string> {
  const env: Record<string, string> = {}
  for (const { args } of all(stage, 'ENV')) {
    for (const pair of args.split(/\s+/)) {
      const [key, value] = pair.split('=')
      if (key && value !== undefined) env[key] = value.replace(/^"(.*)"$/, '$1')
    }
  }
  return env
}

interface Copy { from: string | undefined, chown: string | undefined, sources: string[], destination: string }

function copiesOf (stage: Stage): Copy[] {
  return all(stage, 'COPY').map(({ args }) => {
    const words = args.split(/\s+/)
    const flags = Object.fromEntries(words.filter((word) => word.startsWith('--')).map((flag) => flag.slice(2).split('=')))
    const paths = words.filter((word) => !word.startsWith('--'))
    return { from: flags.from, chown: flags.chown, sources: paths.slice(0, -1), destination: paths.at(-1)! }
  })
}

/** The exec form's words (`CMD ["node", "x.js"]`), or undefined for the shell form. */
function execForm (args: string): string[] | undefined {
  return args.startsWith('[') ? JSON.parse(args) as string[] : undefined
}

/** Whether `docker build` leaves a context path out: the last matching rule of .dockerignore wins. */
function dockerIgnores (path: string): boolean {
  const rules = readFileSync(join(PROJECT_ROOT, '.dockerignore'), 'utf8').split('\n')
    .map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negated = line.startsWith('!')
      const pattern = posix.normalize(line.replace(/^!/, '')).replace(/^\/+/, '')
      const source = pattern.split(/(\*\*|\*|\?)/).map((part) =>
        part === '**' ? '.*' : part === '*' ? '[^/]*' : part === '?' ? '[^/]' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')).join('')
      return { negated, regex: new RegExp(`^${source}$`) }
    })
  const prefixes = posix.normalize(path).split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'))
  let ignored = false
  for (const { negated, regex } of rules) if (prefixes.some((prefix) => regex.test(prefix))) ignored = !negated
  return ignored
}

const dockerfileText = readFileSync(join(PROJECT_ROOT, 'Dockerfile'), 'utf8')
const stages = stagesOf(dockerfileText)
const runtime = stages.at(-1)!
const runtimeEnv = envOf(runtime)
const linter = join(PROJECT_ROOT, 'node_modules', '.bin', 'dockerfile-utils')

function lint (file: string): unknown[] {
  const { stdout } = spawnSync(linter, ['lint', '--json', file], { encoding: 'utf8' })
  return JSON.parse(stdout) as unknown[]
}

function npmRunLintDocker (cwd: string): { status: number | null, output: string } {
  const PATH = `${join(PROJECT_ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`
  const result = spawnSync('npm', ['run', '--silent', 'lint:docker'], { cwd, encoding: 'utf8', env: { ...process.env, PATH } })
  return { status: result.status, output: result.stdout + result.stderr }
}

describe('Dockerfile', () => {
  it('has no diagnostics from dockerfile-utils, which does report problems, and `npm run lint:docker` fails on a warning', () => {
    expect(lint(join(PROJECT_ROOT, 'Dockerfile'))).toEqual([])
    expect(npmRunLintDocker(PROJECT_ROOT).status).toBe(0)

    const dir = temporaryDirectory()
    writeFileSync(join(dir, 'Dockerfile'), 'FROM node:20.19-bookworm-slim\nMAINTAINER someone\n')
    cpSync(join(PROJECT_ROOT, 'package.json'), join(dir, 'package.json'))
    expect(lint(join(dir, 'Dockerfile'))).toHaveLength(1)
    const failed = npmRunLintDocker(dir)
    expect(failed.status).not.toBe(0)
    expect(failed.output).toContain('MAINTAINER has been deprecated')
  })

  it('compiles and prunes in a build stage on the runtime stage\'s Node version, package files before sources', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2)
    const build = stages.find((stage) => stage.name && copiesOf(runtime).some((copy) => copy.from === stage.name))!
    expect(build).toBeDefined()
    const runs = all(build, 'RUN').map(({ args }) => args).join('\n')
    expect(runs).toMatch(/\bnpm ci\b/)
    expect(runs).toMatch(/\bnpm run build\b[\s\S]*\bnpm prune --omit=dev\b/)
    expect(dockerfileText).not.toMatch(/ignore-scripts/)
    // A native module built for one Node release and glibc must run on the same ones.
    expect(build.base.replace(/-slim$/, '')).toBe(runtime.base.replace(/-slim$/, ''))

    const copies = copiesOf(build)
    const lockfileAt = copies.findIndex((copy) => copy.sources.includes('package-lock.json'))
    const appAt = copies.findIndex((copy) => copy.sources.includes('app'))
    expect(lockfileAt).toBeGreaterThanOrEqual(0)
    expect(appAt).toBeGreaterThan(lockfileAt)
    const npmCi = build.instructions.findIndex((instruction) => /\bnpm ci\b/.test(instruction.args))
    expect(build.instructions.indexOf(all(build, 'COPY')[appAt]!)).toBeGreaterThan(npmCi)
  })

  it('runs from node 20 ≥ 20.19 slim, pinned by tag, as the non-root node user, with production settings', () => {
    const [, image, major, minor] = /^(node):(\d+)\.(\d+)(?:\.\d+)?-[\w-]*slim$/.exec(runtime.base) ?? []
    expect(image, `runtime base ${runtime.base}`).toBe('node')
    expect(Number(major)).toBe(20)
    expect(Number(minor)).toBeGreaterThanOrEqual(19)
    for (const stage of stages) expect(stage.base).not.toMatch(/:latest$|^[^:]+$/)

    const user = last(runtime, 'USER')?.args
    expect(user).toBe('node')
    // The code stays root's: the server, running as node, can write only its data volume.
    expect(copiesOf(runtime).every((copy) => copy.chown === undefined)).toBe(true)
    expect(runtimeEnv).toMatchObject({ NODE_ENV: 'production', HOST: '0.0.0.0', PORT: '3000', DATABASE_PATH: '/data/github_users.db' })
    expect(last(runtime, 'EXPOSE')?.args).toBe(runtimeEnv.PORT)
    expect(last(runtime, 'STOPSIGNAL')?.args).toBe('SIGTERM')
    // The same command as `npm start`, flags included.
    const start = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start
    expect(execForm(last(runtime, 'CMD')!.args)).toEqual(start.replace(/^exec /, '').split(' '))
    expect(execForm(last(runtime, 'CMD')!.args)!.at(-1)).toBe('dist/app/server.js')
  })

  it('keeps the database on a VOLUME that the node user owns', () => {
    const volume = last(runtime, 'VOLUME')
    expect(volume?.args.replace(/^\["?|"?\]$/g, '')).toBe(dirname(runtimeEnv.DATABASE_PATH!))
    // A new named volume takes the ownership the image gives the folder, so it must be set before VOLUME.
    const chown = all(runtime, 'RUN').find(({ args }) => /\bchown\b/.test(args) && args.includes(` node:node ${volume!.args}`))
    expect(chown).toBeDefined()
    expect(chown!.line).toBeLessThan(volume!.line)
  })

  it('has a HEALTHCHECK that needs no curl or wget and passes only when GET /health answers 200', async () => {
    const healthcheck = last(runtime, 'HEALTHCHECK')!
    expect(healthcheck).toBeDefined()
    const command = execForm(healthcheck.args.replace(/^(--\S+\s+)*CMD\s+/, ''))!
    expect(command[0]).toBe('node')
    expect(command.join(' ')).not.toMatch(/\b(curl|wget)\b/)

    const check = (port: number) => new Promise<number | null>((resolve) => {
      const child = spawn(command[0]!, command.slice(1), { env: { ...process.env, ...runtimeEnv, PORT: String(port) }, stdio: 'ignore' })
      child.on('exit', (code) => resolve(code))
    })
    const answering = (status: number) => new Promise<Server>((resolve) => {
      const server = createServer((request, response) => response.writeHead(request.url === '/health' ? status : 404).end())
      server.listen(0, '127.0.0.1', () => resolve(server))
    })
    const portOf = (server: Server) => (server.address() as AddressInfo).port

    const healthy = await answering(200)
    const unhealthy = await answering(503)
    const closedPort = portOf(healthy)
    try {
      expect(await check(portOf(healthy))).toBe(0)
      expect(await check(portOf(unhealthy))).toBe(1)
    } finally {
      await new Promise((resolve) => healthy.close(resolve))
      unhealthy.close()
    }
    expect(await check(closedPort)).toBe(1)
  })
})

describe('the runtime stage\'s files', () => {
  const stageNamed = (name: string) => stages.find((stage) => stage.name === name)!
  const workdirOf = (stage: Stage) => last(stage, 'WORKDIR')!.args

  /** Where a COPY source is in this checkout after `npm run build`: the build stage works on a copy of it. */
  function checkoutPath (copy: Copy, source: string): string {
    if (!copy.from) return join(PROJECT_ROOT, source)
    return join(PROJECT_ROOT, posix.relative(workdirOf(stageNamed(copy.from)), source))
  }

  it('exist after the build and are not left out of the build context', () => {
    const runtimeSources = copiesOf(runtime).flatMap((copy) => copy.sources.map((source) => checkoutPath(copy, source)))
    for (const required of ['dist', 'views', 'public', 'package.json', 'node_modules']) {
      expect(runtimeSources).toContain(join(PROJECT_ROOT, required))
    }
    expect(existsSync(join(PROJECT_ROOT, execForm(last(runtime, 'CMD')!.args)!.at(-1)!))).toBe(true)
    for (const source of runtimeSources) expect(existsSync(source), source).toBe(true)

    const contextSources = stages.flatMap((stage) => copiesOf(stage).filter((copy) => !copy.from).flatMap((copy) => copy.sources))
    expect(contextSources).toContain('package-lock.json')
    for (const source of contextSources) {
      expect(existsSync(join(PROJECT_ROOT, source)), source).toBe(true)
      expect(dockerIgnores(source), `.dockerignore leaves out ${source}`).toBe(false)
    }
    for (const unwanted of ['node_modules', 'dist', '.git', 'database/github_users.db', 'database/github_users.db-wal', 'coverage', '.env']) {
      expect(dockerIgnores(unwanted), `.dockerignore should leave out ${unwanted}`).toBe(true)
    }
  })

  it('alone run the seed CLI and serve, as the image\'s CMD with its ENV, and exit 0 on SIGTERM', async () => {
    // The image's /app, assembled from the COPY lines (node_modules linked, not copied: it is large).
    const root = join(temporaryDirectory(), 'app')
    for (const copy of copiesOf(runtime)) {
      for (const source of copy.sources) {
        const target = join(root, copy.destination.endsWith('/') ? posix.basename(source) : copy.destination)
        if (posix.basename(source) === 'node_modules') symlinkSync(checkoutPath(copy, source), target)
        else cpSync(checkoutPath(copy, source), target, { recursive: true })
      }
    }
    const databasePath = join(root, '..', 'data', 'github_users.db')
    const env = { ...process.env, ...runtimeEnv, DATABASE_PATH: databasePath, HOST: '127.0.0.1', PORT: '0' }

    const seed = spawnSync('node', ['dist/scripts/seed.js', '--source', 'sample', '--total', '1000'], { cwd: root, env, encoding: 'utf8' })
    expect(seed.status, seed.stderr).toBe(0)
    expect(seed.stdout).toContain('Wrote 1000 users')

    const [program, ...args] = execForm(last(runtime, 'CMD')!.args)!
    const server = spawn(program!, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    server.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
    server.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
    const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)))
    try {
      let url: string | undefined
      for (let waited = 0; !url && waited < 30_000; waited += 100) {
        url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1]
        if (!url) await new Promise((resolve) => setTimeout(resolve, 100))
      }
      expect(url, output).toBeDefined()
      // Every body is read to the end: a response still being sent would hold up the shutdown.
      const health = await fetch(`${url}/health`)
      expect(health.status).toBe(200)
      expect(await health.json()).toMatchObject({ status: 'ok' })
      expect(((await (await fetch(`${url}/api/users/profiles`)).json()) as { total: number }).total).toBe(1000)
      const page = await fetch(`${url}/users`)
      expect(page.status).toBe(200)
      const stylesheet = /href="(\/static\/[^"]*bootstrap[^"]*\.css)"/.exec(await page.text())?.[1]
      expect(stylesheet).toBeDefined()
      const css = await fetch(`${url}${stylesheet}`)
      expect(css.status).toBe(200)
      expect((await css.text()).length).toBeGreaterThan(0)
    } finally {
      server.kill('SIGTERM')
    }
    expect(await exited, output).toBe(0)
  })
})

describe('docker-compose.yml', () => {
  interface ComposeService {
    build?: string | { context?: string }
    ports?: string[]
    environment?: Record<string, string>
    volumes?: string[]
    restart?: string
    stop_grace_period?: string
    healthcheck?: { test?: string | string[], disable?: boolean }
  }
  const compose = parseYaml(readFileSync(join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8')) as
    { services?: Record<string, ComposeService>, volumes?: Record<string, unknown> }
  const app = compose.services?.app ?? {}
  const environment = app.environment ?? {}

  it('builds the app service from this folder and publishes the port the server listens on', () => {
    expect(compose.services).toHaveProperty('app')
    expect(typeof app.build === 'string' ? app.build : app.build?.context).toBe('.')
    const port = environment.PORT ?? runtimeEnv.PORT
    expect(app.ports).toContain(`3000:${port}`)
    expect(app.restart).toBe('unless-stopped')
  })

  it('keeps the database on a named volume mounted where DATABASE_PATH points', () => {
    const mounts = (app.volumes ?? []).map((volume) => volume.split(':'))
    const databaseDir = dirname(environment.DATABASE_PATH ?? runtimeEnv.DATABASE_PATH!)
    const mount = mounts.find(([, target]) => target === databaseDir)
    expect(mount, `a volume on ${databaseDir}`).toBeDefined()
    expect(Object.keys(compose.volumes ?? {})).toContain(mount![0])
    expect(databaseDir).toBe(last(runtime, 'VOLUME')!.args)
  })

  it('sets values the server accepts, and gives it longer than SHUTDOWN_TIMEOUT to stop', () => {
    expect(Object.keys(environment)).toEqual(expect.arrayContaining(['PORT', 'HOST', 'DATABASE_PATH', 'LOG_LEVEL']))
    const config = createConfig({ ...runtimeEnv, ...environment })
    const [, amount, unit] = /^(\d+)(s|m)$/.exec(app.stop_grace_period ?? '10s') ?? []
    expect(Number(amount) * (unit === 'm' ? 60 : 1)).toBeGreaterThan(config.shutdownTimeoutSeconds)
  })

  it('keeps the image\'s health check on GET /health', () => {
    expect(app.healthcheck?.disable).not.toBe(true)
    if (app.healthcheck?.test) expect([app.healthcheck.test].flat().join(' ')).toContain('/health')
    expect(last(runtime, 'HEALTHCHECK')?.args).toContain('/health')
  })
})

describe('docker-compose.postgres.yml', () => {
  interface Override {
    services?: Record<string, {
      environment?: Record<string, string>
      depends_on?: Record<string, { condition?: string }>
      volumes?: string[]
      healthcheck?: { test?: string[] }
    }>
    volumes?: Record<string, unknown>
  }
  const override = parseYaml(readFileSync(join(PROJECT_ROOT, 'docker-compose.postgres.yml'), 'utf8')) as Override
  const base = parseYaml(readFileSync(join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8')) as
    { services?: Record<string, { environment?: Record<string, string> }> }

  it('points the app at its postgres service with a URL the server accepts, once that is healthy', () => {
    const environment = { ...runtimeEnv, ...base.services?.app?.environment, ...override.services?.app?.environment }
    const config = createConfig(environment)
    expect(new URL(config.databaseUrl!).hostname).toBe('postgres')
    expect(override.services?.app?.depends_on?.postgres?.condition).toBe('service_healthy')
    expect(override.services?.postgres?.healthcheck?.test).toContain('pg_isready')
  })

  it('keeps PostgreSQL\'s data on a named volume, with the user, password and database of the URL', () => {
    const postgres = override.services?.postgres
    const url = new URL(override.services!.app!.environment!.DATABASE_URL!)
    expect(postgres?.environment).toEqual({
      POSTGRES_USER: url.username, POSTGRES_PASSWORD: url.password, POSTGRES_DB: url.pathname.slice(1)
    })
    const [volume, target] = (postgres?.volumes?.[0] ?? '').split(':')
    expect(target).toBe('/var/lib/postgresql/data')
    expect(Object.keys(override.volumes ?? {})).toContain(volume)
  })
})
