// Seeds PostgreSQL: the seed driver with PostgreSQL's writer.
import type { Profile } from '../schemas/profiles.js'
import { type SeedResult, seedProfiles } from './seedProfiles.js'
import { postgresWriter } from './writers/postgresWriter.js'

export interface SeedPostgresOptions {
  databaseUrl: string
  batches: AsyncIterable<Profile[]>
  onProgress?: (written: number) => void
}

/**
 * Stores every account the source yields (see seedProfiles): servers keep reading their snapshot
 * until the single commit, which moves them all to the new data version at once.
 */
export function seedPostgres ({ databaseUrl, batches, onProgress }: SeedPostgresOptions): Promise<SeedResult> {
  return seedProfiles({ batches, onProgress, writer: postgresWriter(databaseUrl) })
}
