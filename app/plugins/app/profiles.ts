// The `profiles` service: the database (read-only), its catalog, its health check, and the result cache.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { ResultCache, type ResultCacheOptions } from '../../http/resultCache.js'
import { SharedAnswers } from '../../http/sharedAnswers.js'
import type { DatabaseHealth } from '../../store/databaseHealth.js'
import { ProfilesCatalog } from '../../store/profilesCatalog.js'
import { openProfilesDatabase, type DatabaseSettings } from '../../store/profilesDatabase.js'
import type { ProfilesExportSource } from '../../store/profilesExportSource.js'
import { RememberedFacets, type ProfilesFacetsSource } from '../../store/profilesFacetsSource.js'
import type { MaybePromise } from '../../store/profilesSource.js'

declare module 'fastify' {
  interface FastifyInstance {
    profiles: ProfilesCatalog
    /** Rows per type for a search (GET /api/users/facets, the pages' type chips). */
    profileFacets: ProfilesFacetsSource
    /** Every row of a search, one snapshot each (GET /api/users/profiles.csv and .ndjson). */
    profileExports: ProfilesExportSource
    resultCache: ResultCache
    /** What GET /health reports of the database, read afresh. */
    checkDatabase: () => MaybePromise<DatabaseHealth>
  }
}

/** A Redis command slower than this counts as a miss: a database read costs less than a millisecond. */
const REDIS_TIMEOUT_MS = 50

export interface ProfilesPluginOptions extends DatabaseSettings {
  resultCache: ResultCacheOptions
}

async function profilesPlugin (app: FastifyInstance, options: ProfilesPluginOptions): Promise<void> {
  const database = await openProfilesDatabase(options, {
    onConnectionError: (error) => app.log.warn({ err: error }, 'a PostgreSQL connection failed; it is opened again when needed')
  })
  const catalog = new ProfilesCatalog(database.source)
  app.decorate('profiles', catalog)
  app.decorate('profileFacets', new RememberedFacets(database.facets, () => catalog.dataVersion()))
  app.decorate('profileExports', database.exports)
  app.decorate('checkDatabase', database.checkHealth)
  const { enabled, redis } = options.resultCache
  const shared = enabled && redis ? sharedAnswers(app, redis) : undefined
  app.decorate('resultCache', new ResultCache(options.resultCache, shared))
  app.addHook('onClose', async () => {
    await database.close()
    await shared?.close()
  })
}

/** Redis as the result cache's shared tier; its outages are logged, once each, not raised. */
function sharedAnswers (app: FastifyInstance, { url, ttlSeconds }: { url: string, ttlSeconds: number }): SharedAnswers {
  return new SharedAnswers({
    url,
    ttlSeconds,
    timeoutMs: REDIS_TIMEOUT_MS,
    onStateChange: (state, error) => {
      if (state === 'up') app.log.info('Redis result cache connected')
      else app.log.warn({ err: error }, 'Redis result cache unreachable: answering from the database meanwhile')
    }
  })
}

export default fp(profilesPlugin, { name: 'profiles', fastify: '5.x' })
