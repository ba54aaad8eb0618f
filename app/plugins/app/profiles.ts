// The `profiles` service: the database (read-only), its catalog and its health check.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
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
    /** What GET /health reports of the database, read afresh. */
    checkDatabase: () => MaybePromise<DatabaseHealth>
  }
}

async function profilesPlugin (app: FastifyInstance, options: DatabaseSettings): Promise<void> {
  const database = await openProfilesDatabase(options, {
    onConnectionError: (error) => app.log.warn({ err: error }, 'a PostgreSQL connection failed; it is opened again when needed')
  })
  const catalog = new ProfilesCatalog(database.source)
  app.decorate('profiles', catalog)
  app.decorate('profileFacets', new RememberedFacets(database.facets, () => catalog.dataVersion()))
  app.decorate('profileExports', database.exports)
  app.decorate('checkDatabase', database.checkHealth)
  app.addHook('onClose', () => database.close())
}

export default fp(profilesPlugin, { name: 'profiles', fastify: '5.x' })
