// The `profiles` service: the read-only database connection, its catalog, and the result cache.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { ResultCache, type ResultCacheOptions } from '../../http/resultCache.js'
import { openReadOnlyDatabase } from '../../store/database.js'
import { ProfilesCatalog } from '../../store/profilesCatalog.js'
import { ProfilesRepository } from '../../store/profilesRepository.js'

declare module 'fastify' {
  interface FastifyInstance {
    profiles: ProfilesCatalog
    resultCache: ResultCache
  }
}

export interface ProfilesPluginOptions {
  databasePath: string
  resultCache: ResultCacheOptions
}

async function profilesPlugin (app: FastifyInstance, options: ProfilesPluginOptions): Promise<void> {
  const db = openReadOnlyDatabase(options.databasePath)
  app.decorate('profiles', new ProfilesCatalog(new ProfilesRepository(db)))
  app.decorate('resultCache', new ResultCache(options.resultCache))
  app.addHook('onClose', async () => { db.close() })
}

export default fp(profilesPlugin, { name: 'profiles', fastify: '5.x' })
