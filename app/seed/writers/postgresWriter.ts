// The seed's writer for PostgreSQL: one transaction of upserts with the change trigger quiet, derived data rebuilt in it.
import type pg from 'pg'
import { ORDER_BY_VALUES, type Profile } from '../../schemas/profiles.js'
import { positionsTable, TERM_COUNTS_TABLE, typePositionsTable } from '../../store/derivedData.js'
import { TYPE_POSITION_ORDERS } from '../../store/profilesPlan.js'
import { openPostgresPool } from '../../store/postgres/connection.js'
import { DATA_CHANGED_CHANNEL, LOCK_OUT_WRITERS, migratePostgres, rebuildPostgresDerivedData } from '../../store/postgres/schema.js'
import type { SeedWriter } from '../seedProfiles.js'

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
const TIDY_AFTER_LOAD = `VACUUM (ANALYZE) users, ghusers_type_counts, ${TERM_COUNTS_TABLE}, ` +
  [...ORDER_BY_VALUES.map(positionsTable), ...TYPE_POSITION_ORDERS.map(typePositionsTable)].join(', ')

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

export function postgresWriter (databaseUrl: string): SeedWriter {
  let pool: pg.Pool | undefined
  let client: pg.PoolClient | undefined

  return {
    async begin () {
      pool = openPostgresPool(databaseUrl, { max: 1 })
      await migratePostgres(pool)
      client = await pool.connect()
      // A connection lost while checked out (PostgreSQL restarting) would throw an 'error' event
      // that ends the process: the next query fails with it instead.
      client.on('error', () => {})
      // The change trigger stays quiet for this transaction: one version bump at the end instead.
      await client.query(`BEGIN; SET LOCAL ghusers.bulk = 'on'; ${LOCK_OUT_WRITERS}`)
    },
    async write (batch) {
      await upsert(client!, batch)
    },
    async commit () {
      if (!client) throw new Error('No seed transaction to commit')
      // The version only grows (servers take no older one), and from the clock, so that copies of
      // one database seeded apart (a restored dump) do not reach the same version with other data.
      await client.query(`UPDATE ghusers_state
        SET data_version = greatest(data_version + 1, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)`)
      await rebuildPostgresDerivedData(client)
      await client.query(`SELECT pg_notify('${DATA_CHANGED_CHANNEL}', '')`)
      await client.query('COMMIT')
    },
    async rollback () {
      // A statement that failed aborted the transaction: what it wrote cannot be kept.
      await client?.query('ROLLBACK')
    },
    async afterCommit () {
      await client!.query(TIDY_AFTER_LOAD)
    },
    async close () {
      client?.release()
      await pool?.end()
    }
  }
}
