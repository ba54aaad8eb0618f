// The seed's one driver: source → batches → an engine's writer → derived data → one commit.
import type { Profile } from '../schemas/profiles.js'

export interface SeedResult {
  written: number
  seconds: number
  /** The largest id written, for resuming with --since. */
  lastId: number | undefined
}

/** Thrown when the source fails after some accounts were already committed. */
export class SeedInterruptedError extends Error {
  constructor (readonly result: SeedResult, override readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause))
  }
}

/** What differs between the SQLite file and PostgreSQL: how a run's transaction is opened, fed, committed and tidied. */
export interface SeedWriter {
  /** Opens the database and the run's transaction; called only once the first batch arrived. */
  begin: () => Promise<void>
  /** Upserts a batch: an account already stored is rewritten, a login that moved to a new id is taken off the stale row. */
  write: (batch: Profile[]) => Promise<void>
  /** Bumps the data version, rebuilds the derived data and commits, in the run's transaction. */
  commit: () => Promise<void>
  rollback: () => Promise<void>
  /** After a complete run's commit: work that must not hold the transaction (PostgreSQL's VACUUM). */
  afterCommit?: () => Promise<void>
  /** Releases the database, whatever happened. */
  close: () => Promise<void>
}

export interface SeedProfilesOptions {
  batches: AsyncIterable<Profile[]>
  writer: SeedWriter
  onProgress?: (written: number) => void
}

/**
 * Stores every account the source yields. Nothing is opened until the first batch arrives, so a
 * source that fails at once changes nothing. Readers see the previous state until the single
 * commit at the end. When the source fails midway, the accounts already fetched are committed
 * (they are whole and let a run resume with --since) and a SeedInterruptedError reports them;
 * when that commit fails too, the run is rolled back and the source's error thrown.
 */
export async function seedProfiles ({ batches, writer, onProgress }: SeedProfilesOptions): Promise<SeedResult> {
  const started = performance.now()
  let begun = false
  let written = 0
  let lastId: number | undefined
  const result = (): SeedResult => ({ written, lastId, seconds: (performance.now() - started) / 1000 })

  try {
    for await (const batch of batches) {
      if (!begun) {
        begun = true
        await writer.begin()
      }
      await writer.write(batch)
      written += batch.length
      for (const account of batch) lastId = Math.max(lastId ?? 0, account.id)
      onProgress?.(written)
    }
    if (begun) {
      await writer.commit()
      await writer.afterCommit?.()
    }
    return result()
  } catch (error) {
    if (begun) {
      const kept = written > 0 && await writer.commit().then(() => true, () => false)
      if (!kept) {
        await writer.rollback().catch(() => {})
        written = 0
      }
    }
    if (written > 0) throw new SeedInterruptedError(result(), error)
    throw error
  } finally {
    if (begun) await writer.close()
  }
}
