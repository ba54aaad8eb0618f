// Writes accounts from a source into PostgreSQL: one transaction, upserts, one version bump.
import type pg from 'pg'
import { ORDER_BY_VALUES, type Profile } from '../schemas/profiles.js'
import { positionsTable } from '../store/derivedData.js'
import { openPostgresPool } from '../store/postgres/connection.js'
import { DATA_CHANGED_CHANNEL, LOCK_OUT_WRITERS, migratePostgres, rebuildPostgresDerivedData } from '../store/postgres/schema.js'
import { SeedInterruptedError, type SeedResult } from './seedDatabase.js'

export interface SeedPostgresOptions {
  databaseUrl: string
  batches: AsyncIterable<Profile[]>
  onProgress?: (written: number) => void
}

// The same upsert as the SQLite file's INSERT OR REPLACE: an account already stored is rewritten,
// and a login that moved to a new id (a renamed account) is taken off the stale row.
const TAKE_LOGINS_OFF_STALE_ROWS = `DELETE FROM users u USING unnest($1::bigint[], $2::text[]) AS b(id, username)
  WHERE u.username = b.username AND u.id <> b.id`
const UPSERT = `INSERT INTO users (id, username, avatar_url, type, url)
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[])
  ON CONFLICT (id) DO UPDATE SET username = excluded.username, avatar_url = excluded.avatar_url,
    type = excluded.type, url = excluded.url`

/**
 * After the commit: the planner's statistics and the visibility map of what was loaded, at once,
 * rather than whenever autovacuum comes to it (meanwhile on the same cores as the servers).
 */
const TIDY_AFTER_LOAD = `VACUUM (ANALYZE) users, ghusers_type_counts, ${ORDER_BY_VALUES.map(positionsTable).join(', ')}`

/**
 * The batch as one statement may take it, as REPLACE row by row would leave it: each account
 * takes the place of an earlier one with its id and of an earlier one with its login.
 */
function lastOfEach (batch: Profile[]): Profile[] {
  const byId = new Map<number, Profile>()
  const idByLogin = new Map<string, number>()
  for (const account of batch) {
    const sameId = byId.get(account.id)
    if (sameId) idByLogin.delete(sameId.username)
    const sameLogin = idByLogin.get(account.username)
    if (sameLogin !== undefined) byId.delete(sameLogin)
    byId.set(account.id, account)
    idByLogin.set(account.username, account.id)
  }
  return [...byId.values()]
}

async function upsert (client: pg.ClientBase, batch: Profile[]): Promise<void> {
  // Every row of the batch takes its login off other ids, even one a later row supersedes, as
  // REPLACE row by row would; what is stored is what is left of the batch.
  await client.query(TAKE_LOGINS_OFF_STALE_ROWS, [batch.map((row) => row.id), batch.map((row) => row.username)])
  const rows = lastOfEach(batch)
  await client.query(UPSERT, [
    rows.map((row) => row.id), rows.map((row) => row.username), rows.map((row) => row.avatar_url),
    rows.map((row) => row.type), rows.map((row) => row.url)
  ])
}

/**
 * Stores every account the source yields, as seedDatabase() does for the file: nothing is
 * touched until the first batch arrives; servers keep reading the previous state (their
 * snapshot) until the single commit, which moves them all to the new data version at once.
 * When the source fails midway, what was fetched is committed and a SeedInterruptedError says so.
 */
export async function seedPostgres ({ databaseUrl, batches, onProgress }: SeedPostgresOptions): Promise<SeedResult> {
  const started = performance.now()
  let pool: pg.Pool | undefined
  let client: pg.PoolClient | undefined
  let written = 0
  let lastId: number | undefined
  const result = (): SeedResult => ({ written, lastId, seconds: (performance.now() - started) / 1000 })

  const commit = async (): Promise<void> => {
    // The version only grows (servers take no older one), and from the clock, so that copies of
    // one database seeded apart (a restored dump) do not reach the same version with other data.
    await client!.query(`UPDATE ghusers_state
      SET data_version = greatest(data_version + 1, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)`)
    await rebuildPostgresDerivedData(client!)
    await client!.query(`SELECT pg_notify('${DATA_CHANGED_CHANNEL}', '')`)
    await client!.query('COMMIT')
  }

  try {
    for await (const batch of batches) {
      if (!client) {
        pool = openPostgresPool(databaseUrl, { max: 1 })
        await migratePostgres(pool)
        client = await pool.connect()
        // A connection lost while checked out (PostgreSQL restarting) would throw an 'error' event
        // that ends the process: the next query fails with it instead.
        client.on('error', () => {})
        // The change trigger stays quiet for this transaction: one version bump at the end instead.
        await client.query(`BEGIN; SET LOCAL ghusers.bulk = 'on'; ${LOCK_OUT_WRITERS}`)
      }
      await upsert(client, batch)
      written += batch.length
      for (const account of batch) lastId = Math.max(lastId ?? 0, account.id)
      onProgress?.(written)
    }
    if (client) {
      await commit()
      await client.query(TIDY_AFTER_LOAD)
    }
    return result()
  } catch (error) {
    if (client) {
      // A statement that failed aborted the transaction: what it wrote cannot be kept.
      const kept = written > 0 && await commit().then(() => true, () => false)
      if (!kept) await client.query('ROLLBACK').catch(() => {})
      if (!kept) written = 0
    }
    if (written > 0) throw new SeedInterruptedError(result(), error)
    throw error
  } finally {
    client?.release()
    await pool?.end()
  }
}
