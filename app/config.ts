// The service's configuration: one object, validated once, from the environment.
import envSchema from 'env-schema'
import { Type, type Static } from 'typebox'
import { databasePathFrom } from './paths.js'

const Environment = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  DATABASE_PATH: Type.Optional(Type.String({ minLength: 1 })),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
  RESULT_CACHE: Type.Enum(['on', 'off'], { default: 'on' }),
  RESULT_CACHE_MAX_ENTRIES: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 5000 }),
  CACHE_MAX_AGE: Type.Integer({ minimum: 0, maximum: 31_536_000, default: 60 }),
  WEB_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 64, default: 1 })
})

export interface AppConfig {
  port: number
  host: string
  databasePath: string
  logLevel: Static<typeof Environment>['LOG_LEVEL']
  resultCache: { enabled: boolean, maxEntries: number }
  /** Seconds browsers and proxies may reuse a response before revalidating it. */
  httpCacheMaxAge: number
  /** Worker processes sharing the port (node:cluster); 1 serves from the main process. */
  workers: number
}

/** Reads and validates the environment; throws an Error naming the bad variable. */
export function createConfig (env: Record<string, string | undefined> = process.env): AppConfig {
  const values = envSchema<Static<typeof Environment>>({ schema: Environment, data: env, dotenv: false })
  return {
    port: values.PORT,
    host: values.HOST,
    databasePath: databasePathFrom(values.DATABASE_PATH),
    logLevel: values.LOG_LEVEL,
    resultCache: { enabled: values.RESULT_CACHE === 'on', maxEntries: values.RESULT_CACHE_MAX_ENTRIES },
    httpCacheMaxAge: values.CACHE_MAX_AGE,
    workers: values.WEB_CONCURRENCY
  }
}
