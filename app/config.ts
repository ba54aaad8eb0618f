// The service's configuration: one object, validated once, from the environment.
import { isIP } from 'node:net'
import envSchema from 'env-schema'
import { Type, type Static } from 'typebox'
import { databasePathFrom } from './paths.js'

const OnOff = (fallback: 'on' | 'off') => Type.Enum(['on', 'off'], { default: fallback })

const Environment = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({
    pattern: '^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*|[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*)$',
    description: 'a host name or an IP address',
    default: '0.0.0.0'
  }),
  DATABASE_PATH: Type.Optional(Type.String({ minLength: 1 })),
  // Checked by isPostgresUrl: a pattern cannot tell a URL from "postgres://[::1".
  DATABASE_URL: Type.Optional(Type.String()),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
  RESULT_CACHE: OnOff('on'),
  RESULT_CACHE_MAX_ENTRIES: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 5000 }),
  RESULT_CACHE_MAX_MB: Type.Integer({ minimum: 1, maximum: 4096, default: 32 }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://[^\\s]+$', description: 'a redis:// or rediss:// URL' })),
  REDIS_CACHE_TTL: Type.Integer({ minimum: 1, maximum: 2_592_000, default: 3600 }),
  CACHE_MAX_AGE: Type.Integer({ minimum: 0, maximum: 31_536_000, default: 60 }),
  WEB_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 64, default: 1 }),
  RATE_LIMIT: OnOff('on'),
  RATE_LIMIT_MAX: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 600 }),
  RATE_LIMIT_WINDOW: Type.Integer({ minimum: 1, maximum: 86_400, default: 60 }),
  // Checked by trustProxyFrom: no pattern tells an address from "3e3" or "dead".
  TRUST_PROXY: Type.String({ default: 'false' }),
  SHUTDOWN_TIMEOUT: Type.Integer({ minimum: 1, maximum: 600, default: 10 }),
  // Checked by publicUrlFrom: the URL parser, not a pattern, says what a URL is.
  PUBLIC_URL: Type.Optional(Type.String()),
  EXPORT_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 64, default: 2 })
})
type EnvironmentValues = Static<typeof Environment>

export interface RateLimitConfig {
  enabled: boolean
  /** Requests one client may make to /api in each window. */
  max: number
  windowSeconds: number
}

export interface ResultCacheConfig {
  /** Whether finished answers are kept (RESULT_CACHE=off is for measuring reads). */
  enabled: boolean
  maxEntries: number
  maxBytes: number
  /** Redis (REDIS_URL) behind this process's memory. */
  redis?: { url: string, ttlSeconds: number }
}

export interface AppConfig {
  port: number
  host: string
  databasePath: string
  /** PostgreSQL to serve from instead of the file at databasePath (several machines, one database). */
  databaseUrl: string | undefined
  logLevel: EnvironmentValues['LOG_LEVEL']
  /** The server-side cache of finished answers, bounded by count and by bytes, with Redis behind it when set. */
  resultCache: ResultCacheConfig
  /** Seconds browsers and proxies may reuse a response before revalidating it. */
  httpCacheMaxAge: number
  /** Worker processes sharing the port (node:cluster); 1 serves from the main process. */
  workers: number
  rateLimit: RateLimitConfig
  /** Which X-Forwarded-For hops to believe for the client's address (Fastify's trustProxy). */
  trustProxy: boolean | number | string
  /** Longest wait for requests in flight on SIGTERM before the process exits anyway. */
  shutdownTimeoutSeconds: number
  /** The address clients reach the service at (scheme, host, port, maybe a path; no trailing slash): /api/v3's absolute URLs start with it. */
  publicUrl: string
  /** Exports (CSV, NDJSON) one process streams at once; one more is a 503. */
  exportConcurrency: number
}

const TRUST_PROXY_RULE = 'false, true, a number of proxy hops (0..99), or a comma-separated list of IP addresses, ' +
  'CIDR ranges and the names loopback, linklocal, uniquelocal'
const PROXY_ADDRESS_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal'])

/** An address, a range (address/prefix, or IPv4 address/netmask) or a name, as Fastify's proxy-addr takes them. */
function isProxyAddress (entry: string): boolean {
  if (PROXY_ADDRESS_NAMES.has(entry)) return true
  const [address = '', range, ...rest] = entry.split('/')
  const family = isIP(address)
  if (family === 0 || rest.length > 0) return false
  if (range === undefined) return true
  if (/^\d{1,3}$/.test(range)) return Number(range) <= (family === 4 ? 32 : 128)
  return family === 4 && isIP(range) === 4
}

/** Whether `value` is a URL node-postgres connects with: postgres:// or postgresql://, nothing blank in it. */
export function isPostgresUrl (value: string): boolean {
  return /^postgres(ql)?:\/\/\S+$/.test(value) && URL.canParse(value)
}

/** Fastify's trustProxy from TRUST_PROXY; undefined when the value is none of the forms it takes. */
function trustProxyFrom (value: string): AppConfig['trustProxy'] | undefined {
  if (value === 'true') return true
  if (value === 'false') return false
  if (/^\d{1,2}$/.test(value)) return Number(value)
  const entries = value.split(',').map((entry) => entry.trim())
  return entries.every(isProxyAddress) ? entries.join(',') : undefined
}

/** PUBLIC_URL without its trailing slashes; undefined unless an http(s) URL with no query, fragment or credentials. */
function publicUrlFrom (value: string): string | undefined {
  if (!/^https?:\/\/\S+$/i.test(value) || !URL.canParse(value)) return undefined
  const url = new URL(value)
  if (url.search || url.hash || url.username || url.password || value.includes('?') || value.includes('#')) return undefined
  return value.replace(/\/+$/, '')
}

interface EnvironmentError { instancePath: string, keyword: string, message?: string, params: { allowedValues?: unknown[] } }

/** 'PORT must be <= 65535 (got "99999")': the bad variable by name, with the value it had. */
function describeError ({ keyword, message, params }: EnvironmentError, name: string, value: string | undefined): string {
  const property = Environment.properties[name as keyof EnvironmentValues] as { description?: string } | undefined
  const rule = keyword === 'enum' && params.allowedValues
    ? `must be one of ${params.allowedValues.join(', ')}`
    : keyword === 'pattern' && property?.description ? `must be ${property.description}` : message ?? 'is invalid'
  return `${name} ${rule} (got ${JSON.stringify(value)})`
}

/** Each bad variable of `env`, by name, with what is wrong with it. */
function findProblems (env: Record<string, string | undefined>): { values?: EnvironmentValues, problems: Map<string, string> } {
  const problems = new Map<string, string>()
  // Ajv's coercion would take "3e3", " 80" and "0x10" for 3000, 80 and 16: whole numbers are digits only.
  for (const [name, property] of Object.entries(Environment.properties)) {
    const value = env[name]
    if ((property as { type?: string }).type === 'integer' && value !== undefined && !/^\d+$/.test(value)) {
      problems.set(name, `${name} must be a whole number (got ${JSON.stringify(value)})`)
    }
  }
  if (env.DATABASE_URL !== undefined && !isPostgresUrl(env.DATABASE_URL)) {
    problems.set('DATABASE_URL', `DATABASE_URL must be a postgres:// or postgresql:// URL (got ${JSON.stringify(env.DATABASE_URL)})`)
  }
  if (env.TRUST_PROXY !== undefined && trustProxyFrom(env.TRUST_PROXY) === undefined) {
    problems.set('TRUST_PROXY', `TRUST_PROXY must be ${TRUST_PROXY_RULE} (got ${JSON.stringify(env.TRUST_PROXY)})`)
  }
  if (env.PUBLIC_URL !== undefined && publicUrlFrom(env.PUBLIC_URL) === undefined) {
    problems.set('PUBLIC_URL', 'PUBLIC_URL must be an http:// or https:// URL with no query, fragment or credentials, ' +
      `such as https://ghusers.example.org (got ${JSON.stringify(env.PUBLIC_URL)})`)
  }
  try {
    // env: false, or env-schema would fill in from process.env whatever `env` leaves out.
    const values = envSchema<EnvironmentValues>({ schema: Environment, data: { ...env }, env: false, dotenv: false })
    return { values, problems }
  } catch (error) {
    const errors = (error as { errors?: EnvironmentError[] }).errors
    if (!errors) throw error
    for (const schemaError of errors) {
      const name = schemaError.instancePath.replace(/^\//, '')
      if (!problems.has(name)) problems.set(name, describeError(schemaError, name, env[name]))
    }
    return { problems }
  }
}

/**
 * Reads and validates `env` (only it: a test's object is not mixed with process.env); throws an
 * Error that names every bad variable.
 */
export function createConfig (env: Record<string, string | undefined> = process.env): AppConfig {
  const { values, problems } = findProblems(env)
  if (!values || problems.size > 0) throw new Error([...problems.values()].join('; '))
  return {
    port: values.PORT,
    host: values.HOST,
    databasePath: databasePathFrom(values.DATABASE_PATH),
    databaseUrl: values.DATABASE_URL,
    logLevel: values.LOG_LEVEL,
    resultCache: {
      enabled: values.RESULT_CACHE === 'on',
      maxEntries: values.RESULT_CACHE_MAX_ENTRIES,
      maxBytes: values.RESULT_CACHE_MAX_MB * 1024 * 1024,
      redis: values.REDIS_URL === undefined ? undefined : { url: values.REDIS_URL, ttlSeconds: values.REDIS_CACHE_TTL }
    },
    httpCacheMaxAge: values.CACHE_MAX_AGE,
    workers: values.WEB_CONCURRENCY,
    rateLimit: { enabled: values.RATE_LIMIT === 'on', max: values.RATE_LIMIT_MAX, windowSeconds: values.RATE_LIMIT_WINDOW },
    trustProxy: trustProxyFrom(values.TRUST_PROXY)!,
    shutdownTimeoutSeconds: values.SHUTDOWN_TIMEOUT,
    publicUrl: values.PUBLIC_URL === undefined ? `http://localhost:${values.PORT}` : publicUrlFrom(values.PUBLIC_URL)!,
    exportConcurrency: values.EXPORT_CONCURRENCY
  }
}
