// createConfig: every variable's default, good and bad values, and the compiled server refusing a bad environment.
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { createConfig, type AppConfig } from '../app/config.js'
import { DEFAULT_DATABASE_PATH } from '../app/paths.js'
import { temporaryDirectory } from './helpers/fixtures.js'
import { exitStatus, startCompiledServer } from './helpers/serverProcess.js'

/** Values that Ajv's coercion, Number() or parseInt() would take for numbers, and the empty string. */
const NOT_WHOLE_NUMBERS = ['3e3', ' 80', '80 ', '0x10', '', '1.5', '-1', 'eighty', '1_000']

const BAD_VALUES: Record<string, string[]> = {
  PORT: [...NOT_WHOLE_NUMBERS, '65536'],
  HOST: ['', ' 80', 'local host', '-leading.hyphen', 'exa_mple.com', 'http://example.com', '10.0.0.1/8'],
  LOG_LEVEL: ['', 'INFO', 'loud', 'warning', '30'],
  RESULT_CACHE: ['', 'ON', 'yes', 'true', '1'],
  RESULT_CACHE_MAX_ENTRIES: [...NOT_WHOLE_NUMBERS, '0', '1000001'],
  REDIS_URL: ['', 'localhost:6379', 'http://127.0.0.1:6379', 'redis://', 'redis://a b'],
  DATABASE_URL: ['', 'db.internal:5432/ghusers', 'mysql://db/ghusers', 'postgres://', 'postgres://a b', 'postgres://[::1/ghusers'],
  REDIS_CACHE_TTL: [...NOT_WHOLE_NUMBERS, '0', '2592001'],
  CACHE_MAX_AGE: [...NOT_WHOLE_NUMBERS, '31536001'],
  WEB_CONCURRENCY: [...NOT_WHOLE_NUMBERS, '0', '65'],
  RATE_LIMIT: ['', 'Off', 'no', 'false', '0'],
  RATE_LIMIT_MAX: [...NOT_WHOLE_NUMBERS, '0', '1000001'],
  RATE_LIMIT_WINDOW: [...NOT_WHOLE_NUMBERS, '0', '86401'],
  TRUST_PROXY: ['', ' ', '3e3', ' 80', '0x10', '-1', '100', 'yes', 'dead', 'abc', '1.5', '10.0.0.1/33', '::1/129',
    '10.0.0.1/8/8', '10.0.0.1,', '10.0.0.1, nowhere', '300.1.1.1'],
  SHUTDOWN_TIMEOUT: [...NOT_WHOLE_NUMBERS, '0', '601'],
  PUBLIC_URL: ['', 'localhost:3000', 'ftp://example.org', 'http://', 'http://exa mple.org', 'https://example.org/?a=1',
    'https://example.org/#top', 'https://user:secret@example.org'],
  EXPORT_CONCURRENCY: [...NOT_WHOLE_NUMBERS, '0', '65']
}

const badCases = Object.entries(BAD_VALUES).flatMap(([name, values]) => values.map((value) => [name, value] as const))

describe('createConfig', () => {
  it('gives every default when the environment is empty', () => {
    expect(createConfig({})).toEqual({
      port: 3000,
      host: '0.0.0.0',
      databasePath: DEFAULT_DATABASE_PATH,
      databaseUrl: undefined,
      logLevel: 'info',
      resultCache: { enabled: true, maxEntries: 5000, maxBytes: 32 * 1024 * 1024 },
      httpCacheMaxAge: 60,
      workers: 1,
      rateLimit: { enabled: true, max: 600, windowSeconds: 60 },
      trustProxy: false,
      shutdownTimeoutSeconds: 10,
      publicUrl: 'http://localhost:3000',
      exportConcurrency: 2
    } satisfies AppConfig)
  })

  it.each(badCases)('refuses %s=%j with a message that names the variable and the value', (name, value) => {
    expect(() => createConfig({ [name]: value })).toThrow(name)
    expect(() => createConfig({ [name]: value })).toThrow(`(got ${JSON.stringify(value)})`)
  })

  it.each<[Record<string, string>, Partial<AppConfig>]>([
    [{ PORT: '0' }, { port: 0 }],
    [{ PORT: '65535' }, { port: 65535 }],
    [{ PORT: '08080' }, { port: 8080 }],
    [{ HOST: '127.0.0.1' }, { host: '127.0.0.1' }],
    [{ HOST: '::' }, { host: '::' }],
    [{ HOST: '::ffff:127.0.0.1' }, { host: '::ffff:127.0.0.1' }],
    [{ HOST: 'localhost' }, { host: 'localhost' }],
    [{ HOST: 'app-1.internal.example' }, { host: 'app-1.internal.example' }],
    [{ DATABASE_PATH: 'data/users.db' }, { databasePath: resolve('data/users.db') }],
    [{ LOG_LEVEL: 'silent' }, { logLevel: 'silent' }],
    [{ LOG_LEVEL: 'trace' }, { logLevel: 'trace' }],
    [{ RESULT_CACHE: 'off', RESULT_CACHE_MAX_ENTRIES: '1' }, { resultCache: { enabled: false, maxEntries: 1, maxBytes: 32 * 1024 * 1024 } }],
    [{ DATABASE_URL: 'postgres://ghusers:secret@db.internal:5432/ghusers' }, { databaseUrl: 'postgres://ghusers:secret@db.internal:5432/ghusers' }],
    [{ DATABASE_URL: 'postgresql:///ghusers?host=/var/run/postgresql' }, { databaseUrl: 'postgresql:///ghusers?host=/var/run/postgresql' }],
    [{ REDIS_URL: 'redis://127.0.0.1:6379' }, { resultCache: { enabled: true, maxEntries: 5000, maxBytes: 32 * 1024 * 1024, redis: { url: 'redis://127.0.0.1:6379', ttlSeconds: 3600 } } }],
    [{ REDIS_URL: 'rediss://:secret@cache.internal:6380/2', REDIS_CACHE_TTL: '60' }, { resultCache: { enabled: true, maxEntries: 5000, maxBytes: 32 * 1024 * 1024, redis: { url: 'rediss://:secret@cache.internal:6380/2', ttlSeconds: 60 } } }],
    [{ CACHE_MAX_AGE: '0' }, { httpCacheMaxAge: 0 }],
    [{ WEB_CONCURRENCY: '64' }, { workers: 64 }],
    [{ RATE_LIMIT: 'off', RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW: '86400' }, { rateLimit: { enabled: false, max: 3, windowSeconds: 86400 } }],
    [{ PORT: '8080' }, { port: 8080, publicUrl: 'http://localhost:8080' }],
    [{ PUBLIC_URL: 'https://ghusers.example.org' }, { publicUrl: 'https://ghusers.example.org' }],
    [{ PUBLIC_URL: 'http://127.0.0.1:3000/' }, { publicUrl: 'http://127.0.0.1:3000' }],
    [{ PUBLIC_URL: 'https://example.org/directory//' }, { publicUrl: 'https://example.org/directory' }],
    [{ TRUST_PROXY: 'true' }, { trustProxy: true }],
    [{ TRUST_PROXY: 'false' }, { trustProxy: false }],
    [{ TRUST_PROXY: '0' }, { trustProxy: 0 }],
    [{ TRUST_PROXY: '2' }, { trustProxy: 2 }],
    [{ TRUST_PROXY: '10.0.0.1' }, { trustProxy: '10.0.0.1' }],
    [{ TRUST_PROXY: '10.0.0.0/8, 192.168.1.1,::1, fd00::/8' }, { trustProxy: '10.0.0.0/8,192.168.1.1,::1,fd00::/8' }],
    [{ TRUST_PROXY: '10.0.0.0/255.0.0.0' }, { trustProxy: '10.0.0.0/255.0.0.0' }],
    [{ TRUST_PROXY: 'loopback,uniquelocal' }, { trustProxy: 'loopback,uniquelocal' }],
    [{ SHUTDOWN_TIMEOUT: '1' }, { shutdownTimeoutSeconds: 1 }],
    [{ SHUTDOWN_TIMEOUT: '600' }, { shutdownTimeoutSeconds: 600 }],
    [{ EXPORT_CONCURRENCY: '1' }, { exportConcurrency: 1 }],
    [{ EXPORT_CONCURRENCY: '64' }, { exportConcurrency: 64 }]
  ])('reads %j', (env, expected) => {
    expect(createConfig(env)).toMatchObject(expected)
  })

  it('names every bad variable at once, so one restart shows them all', () => {
    const env = { PORT: '3e3', LOG_LEVEL: 'loud', RATE_LIMIT_MAX: '0', TRUST_PROXY: 'dead', HOST: 'local host' }
    const message = (() => { try { createConfig(env) } catch (error) { return (error as Error).message } })()
    for (const name of Object.keys(env)) expect(message).toContain(name)
    expect(message).not.toContain('SHUTDOWN_TIMEOUT')
  })

  it('reads only the object it is given, never process.env behind it', () => {
    vi.stubEnv('PORT', '4321')
    vi.stubEnv('LOG_LEVEL', 'loud')
    try {
      expect(createConfig({ HOST: '127.0.0.1' })).toMatchObject({ port: 3000, logLevel: 'info' })
      expect(() => createConfig()).toThrow('LOG_LEVEL')
    } finally {
      vi.unstubAllEnvs()
    }
  })

  it('stops the compiled server with status 1, each bad variable named on stderr, and no database created', async () => {
    const databasePath = join(temporaryDirectory(), 'never.db')
    const server = startCompiledServer({ DATABASE_PATH: databasePath, PORT: ' 80', WEB_CONCURRENCY: '0x10', TRUST_PROXY: '3e3' })
    expect(await exitStatus(server)).toBe(1)
    for (const name of ['PORT', 'WEB_CONCURRENCY', 'TRUST_PROXY']) expect(server.stderr()).toContain(name)
    expect(server.stderr()).toMatch(/^Invalid configuration: /)
    expect(server.stdout()).toBe('')
    expect(existsSync(databasePath)).toBe(false)
  })
})
