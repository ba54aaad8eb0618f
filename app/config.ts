// The service's configuration: one object, validated once, from the environment.
import envSchema from 'env-schema'
import { Type, type Static } from 'typebox'
import { databasePathFrom } from './paths.js'

const OnOff = (fallback: 'on' | 'off') => Type.Enum(['on', 'off'], { default: fallback })

const Environment = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  DATABASE_PATH: Type.Optional(Type.String({ minLength: 1 })),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
  RESULT_CACHE: OnOff('on'),
  RESULT_CACHE_MAX_ENTRIES: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 5000 }),
  RESULT_CACHE_MAX_MB: Type.Integer({ minimum: 1, maximum: 4096, default: 32 }),
  CACHE_MAX_AGE: Type.Integer({ minimum: 0, maximum: 31_536_000, default: 60 }),
  WEB_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 64, default: 1 }),
  RATE_LIMIT: OnOff('on'),
  RATE_LIMIT_MAX: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 600 }),
  RATE_LIMIT_WINDOW: Type.Integer({ minimum: 1, maximum: 86_400, default: 60 }),
  TRUST_PROXY: Type.String({
    pattern: '^(false|true|\\d{1,2}|[0-9A-Fa-f:./]+(\\s*,\\s*[0-9A-Fa-f:./]+)*)$',
    description: 'false, true, a number of proxy hops, or a comma-separated list of addresses and CIDR ranges',
    default: 'false'
  }),
  SHUTDOWN_TIMEOUT: Type.Integer({ minimum: 1, maximum: 600, default: 10 })
})
type Environment = Static<typeof Environment>

export interface RateLimitConfig {
  enabled: boolean
  /** Requests one client may make to /api in each window. */
  max: number
  windowSeconds: number
}

export interface AppConfig {
  port: number
  host: string
  databasePath: string
  logLevel: Environment['LOG_LEVEL']
  /** The server-side cache of finished answers, bounded by count and by bytes. */
  resultCache: { enabled: boolean, maxEntries: number, maxBytes: number }
  /** Seconds browsers and proxies may reuse a response before revalidating it. */
  httpCacheMaxAge: number
  /** Worker processes sharing the port (node:cluster); 1 serves from the main process. */
  workers: number
  rateLimit: RateLimitConfig
  /** Which X-Forwarded-For hops to believe for the client's address (Fastify's trustProxy). */
  trustProxy: boolean | number | string
  /** Longest wait for requests in flight on SIGTERM before the process exits anyway. */
  shutdownTimeoutSeconds: number
}

function trustProxyFrom (value: string): AppConfig['trustProxy'] {
  if (value === 'true') return true
  if (value === 'false') return false
  if (/^\d+$/.test(value)) return Number(value)
  return value.split(',').map((address) => address.trim()).join(',')
}

interface EnvironmentError { instancePath: string, keyword: string, message?: string, params: { allowedValues?: unknown[] } }

/** 'PORT must be integer (got "eighty")': each bad variable by name, with the value it had. */
function describeErrors (errors: EnvironmentError[], env: Record<string, string | undefined>): string {
  return errors.map(({ instancePath, keyword, message, params }) => {
    const name = instancePath.replace(/^\//, '')
    const property = Environment.properties[name as keyof Environment] as { description?: string } | undefined
    const rule = keyword === 'enum' && params.allowedValues
      ? `must be one of ${params.allowedValues.join(', ')}`
      : keyword === 'pattern' && property?.description ? `must be ${property.description}` : message ?? 'is invalid'
    return `${name} ${rule} (got ${JSON.stringify(env[name])})`
  }).join('; ')
}

// Ajv's coercion would take "3e3", " 80" and "0x10" for 3000, 80 and 16: whole numbers are digits only.
function requireDigits (env: Record<string, string | undefined>): void {
  for (const [name, property] of Object.entries(Environment.properties)) {
    const value = env[name]
    if ((property as { type?: string }).type === 'integer' && value !== undefined && !/^\d+$/.test(value)) {
      throw new Error(`${name} must be a whole number (got ${JSON.stringify(value)})`)
    }
  }
}

/** Reads and validates the environment; throws an Error naming the bad variable. */
export function createConfig (env: Record<string, string | undefined> = process.env): AppConfig {
  requireDigits(env)
  let values: Environment
  try {
    values = envSchema<Environment>({ schema: Environment, data: env, dotenv: false })
  } catch (error) {
    const errors = (error as { errors?: EnvironmentError[] }).errors
    throw errors ? new Error(describeErrors(errors, env)) : error
  }
  return {
    port: values.PORT,
    host: values.HOST,
    databasePath: databasePathFrom(values.DATABASE_PATH),
    logLevel: values.LOG_LEVEL,
    resultCache: {
      enabled: values.RESULT_CACHE === 'on',
      maxEntries: values.RESULT_CACHE_MAX_ENTRIES,
      maxBytes: values.RESULT_CACHE_MAX_MB * 1024 * 1024
    },
    httpCacheMaxAge: values.CACHE_MAX_AGE,
    workers: values.WEB_CONCURRENCY,
    rateLimit: { enabled: values.RATE_LIMIT === 'on', max: values.RATE_LIMIT_MAX, windowSeconds: values.RATE_LIMIT_WINDOW },
    trustProxy: trustProxyFrom(values.TRUST_PROXY),
    shutdownTimeoutSeconds: values.SHUTDOWN_TIMEOUT
  }
}
