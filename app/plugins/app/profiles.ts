// The `profiles` service: the read-only database connection, its catalog, and the result cache.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { ResultCache, type ResultCacheOptions } from '../../http/resultCache.js'
import { SharedAnswers } from '../../http/sharedAnswers.js'
import { openReadOnlyDatabase } from '../../store/database.js'
import { ProfilesCatalog } from '../../store/profilesCatalog.js'
import { ProfilesRepository } from '../../store/profilesRepository.js'

declare module 'fastify' {
  interface FastifyInstance {
    profiles: ProfilesCatalog
    resultCache: ResultCache
  }
}

/** A Redis command slower than this counts as a miss: a database read costs less than a millisecond. */
const REDIS_TIMEOUT_MS = 50

export interface ProfilesPluginOptions {
  databasePath: string
  resultCache: ResultCacheOptions
}

async function profilesPlugin (app: FastifyInstance, options: ProfilesPluginOptions): Promise<void> {
  const db = openReadOnlyDatabase(options.databasePath)
  app.decorate('profiles', new ProfilesCatalog(new ProfilesRepository(db)))
  const { enabled, redis } = options.resultCache
  const shared = enabled && redis ? sharedAnswers(app, redis) : undefined
  app.decorate('resultCache', new ResultCache(options.resultCache, shared))
  app.addHook('onClose', async () => {
    db.close()
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
