// `after` cursors: the position of a list's row (its id and order key), bound to the list's order and
// filters by a checksum, as an opaque URL-safe token that outlives re-seeds (it names no offset). A
// search's cursor also carries the row's rank at the data version it was read at (RankAt), used only
// at that version.
import { hash } from 'node:crypto'
import createError from 'http-errors'
import { ORDER_BY_VALUES, type ProfilesQuery } from '../schemas/profiles.js'
import type { RankAt, RowPosition } from '../store/profilesPlan.js'
import { canonicalFiltersKey } from './profilesQuery.js'

/** Version 1: the position alone; version 2: with its rank (6 bytes) and the data version's tag (8 bytes). */
const PLAIN = 1
const RANKED = 2
const CHECK_BYTES = 8
const RANK_BYTES = 6
const TAG_BYTES = 8
// version, order, id (8 bytes), check, [rank, tag,] then the key's UTF-8 bytes.
const HEADER_BYTES = 2 + 8 + CHECK_BYTES

/** A checksum of the position and of the list it belongs to: a cursor altered, or given to another list, fails it. */
function check (query: ProfilesQuery, id: number, key: string | null, rankAt: RankAt | undefined): Buffer {
  const fields: unknown[] = ['ghusers-after', rankAt ? RANKED : PLAIN, query.order_by, canonicalFiltersKey(query), id, key]
  if (rankAt) fields.push(rankAt.rank, rankAt.versionTag)
  return hash('sha256', JSON.stringify(fields), 'buffer').subarray(0, CHECK_BYTES)
}

/** A cursor's most characters (API.md). */
const MAX_CURSOR_CHARS = 200

/**
 * The token for the rows after `position` in `query`'s list; without its rank where the rank would
 * make it longer than MAX_CURSOR_CHARS (a long key: the rank only bounds the walk's reads).
 */
export function encodeCursor (query: ProfilesQuery, position: RowPosition): string {
  const token = tokenOf(query, position)
  return token.length > MAX_CURSOR_CHARS && position.rankAt ? tokenOf(query, { id: position.id, key: position.key }) : token
}

function tokenOf (query: ProfilesQuery, position: RowPosition): string {
  const { id, key, rankAt } = position
  const keyBytes = key === null ? Buffer.alloc(0) : Buffer.from(key, 'utf8')
  const rankBytes = rankAt ? RANK_BYTES + TAG_BYTES : 0
  const bytes = Buffer.alloc(HEADER_BYTES + rankBytes + keyBytes.length)
  bytes[0] = rankAt ? RANKED : PLAIN
  bytes[1] = ORDER_BY_VALUES.indexOf(query.order_by)
  bytes.writeBigUInt64BE(BigInt(id), 2)
  check(query, id, key, rankAt).copy(bytes, 10)
  if (rankAt) {
    bytes.writeUIntBE(rankAt.rank, HEADER_BYTES, RANK_BYTES)
    bytes.write(rankAt.versionTag, HEADER_BYTES + RANK_BYTES, TAG_BYTES, 'hex')
  }
  keyBytes.copy(bytes, HEADER_BYTES + rankBytes)
  return bytes.toString('base64url')
}

/** The position a token names, or a 400 naming `after` when it is not one of ours for this list. */
export function decodeCursor (query: ProfilesQuery, token: string): RowPosition {
  const bytes = Buffer.from(token, 'base64url')
  const invalid = () => createError(400, "Query parameter 'after' is not a cursor of this list (its order_by and filters); " +
    'use the next_cursor of an answer to the same query')
  const ranked = bytes[0] === RANKED
  const rankBytes = ranked ? RANK_BYTES + TAG_BYTES : 0
  if (bytes.length < HEADER_BYTES + rankBytes || bytes.toString('base64url') !== token || (bytes[0] !== PLAIN && !ranked) ||
    bytes[1] !== ORDER_BY_VALUES.indexOf(query.order_by)) throw invalid()
  const id = Number(bytes.readBigUInt64BE(2))
  const rankAt = ranked
    ? { rank: bytes.readUIntBE(HEADER_BYTES, RANK_BYTES), versionTag: bytes.toString('hex', HEADER_BYTES + RANK_BYTES, HEADER_BYTES + rankBytes) }
    : undefined
  const keyBytes = bytes.subarray(HEADER_BYTES + rankBytes)
  const key = query.order_by === 'id' || query.order_by === '-id' ? null : keyBytes.toString('utf8')
  // No login or type holds a NUL (PostgreSQL's text cannot): only a forged token has one.
  if ((key === null && keyBytes.length) || key?.includes('\0')) throw invalid()
  if (!Number.isSafeInteger(id) || !check(query, id, key, rankAt).equals(bytes.subarray(10, HEADER_BYTES))) throw invalid()
  return rankAt ? { id, key, rankAt } : { id, key }
}
