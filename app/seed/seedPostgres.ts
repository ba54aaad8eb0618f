// Writes accounts from a source into PostgreSQL: one transaction, upserts, one version bump.
import type pg from 'pg'
import type { Profile } from '../schemas/profiles.js'
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

/** The batch as one statement may take it: each id and each login once, the last one winning, as REPLACE would. */
function lastOfEach (batch: Profile[]): Profile[] {
  const byId = new Map<number, Profile>()
  const byLogin = new Map<string, Profile>()
  for (const account of batch) {
    const stale = byLogin.get(account.username)
    if (stale && stale.id !== account.id) byId.delete(stale.id)
    byId.delete(account.id)
    byId.set(account.id, account)
    byLogin.set(account.username, account)
  }
  return [...byId.values()]
}

async function upsert (client: pg.ClientBase, batch: Profile[]): Promise<void> {
  const rows = lastOfEach(batch)
  const ids = rows.map((row) => row.id)
  const usernames = rows.map((row) => row.username)
  await client.query(TAKE_LOGINS_OFF_STALE_ROWS, [ids, usernames])
  await client.query(UPSERT, [ids, usernames, rows.map((row) => row.avatar_url), rows.map((row) => row.type), rows.map((row) => row.url)])
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
    await client!.query(`UPDATE ghusers_state SET data_version = data_version + 1,
      database_id = md5(random()::text || clock_timestamp()::text)`)
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
        // The change trigger stays quiet for this transaction: one version bump at the end instead.
        await client.query(`BEGIN; SET LOCAL ghusers.bulk = 'on'; ${LOCK_OUT_WRITERS}`)
      }
      await upsert(client, batch)
      written += batch.length
      for (const account of batch) lastId = Math.max(lastId ?? 0, account.id)
      onProgress?.(written)
    }
    if (client) await commit()
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
