// Seeds the SQLite file: the seed driver with the file's writer.
import type { Profile } from '../schemas/profiles.js'
import { type SeedResult, seedProfiles } from './seedProfiles.js'
import { sqliteWriter } from './writers/sqliteWriter.js'

export interface SeedOptions {
  databasePath: string
  batches: AsyncIterable<Profile[]>
  onProgress?: (written: number) => void
}

/** Stores every account the source yields in the file (see seedProfiles); the file is created on the first batch. */
export function seedDatabase ({ databasePath, batches, onProgress }: SeedOptions): Promise<SeedResult> {
  return seedProfiles({ batches, onProgress, writer: sqliteWriter(databasePath) })
}
