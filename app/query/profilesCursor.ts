// `after` cursors: the position of a list's row (its id and order key), bound to the list's order and
// filters by a checksum, as an opaque URL-safe token that outlives re-seeds (it names no offset).
import { createHash } from 'node:crypto'
import createError from 'http-errors'
import { ORDER_BY_VALUES, type ProfilesQuery } from '../schemas/profiles.js'
import type { RowPosition } from '../store/profilesPlan.js'
import { canonicalFiltersKey } from './profilesQuery.js'

const VERSION = 1
const CHECK_BYTES = 8
// version, order, id (8 bytes), check, then the key's UTF-8 bytes.
const HEADER_BYTES = 2 + 8 + CHECK_BYTES

/** A checksum of the position and of the list it belongs to: a cursor altered, or given to another list, fails it. */
function check (query: ProfilesQuery, id: number, key: string | null): Buffer {
  return createHash('sha256')
    .update(JSON.stringify(['ghusers-after', VERSION, query.order_by, canonicalFiltersKey(query), id, key]))
    .digest().subarray(0, CHECK_BYTES)
}

/** The token for the rows after `position` in `query`'s list. */
export function encodeCursor (query: ProfilesQuery, position: RowPosition): string {
  const key = position.key === null ? Buffer.alloc(0) : Buffer.from(position.key, 'utf8')
  const bytes = Buffer.alloc(HEADER_BYTES + key.length)
  bytes[0] = VERSION
  bytes[1] = ORDER_BY_VALUES.indexOf(query.order_by)
  bytes.writeBigUInt64BE(BigInt(position.id), 2)
  check(query, position.id, position.key).copy(bytes, 10)
  key.copy(bytes, HEADER_BYTES)
  return bytes.toString('base64url')
}

/** The position a token names, or a 400 naming `after` when it is not one of ours for this list. */
export function decodeCursor (query: ProfilesQuery, token: string): RowPosition {
  const bytes = Buffer.from(token, 'base64url')
  const invalid = () => createError(400, "Query parameter 'after' is not a cursor of this list (its order_by and filters); " +
    'use the next_cursor of an answer to the same query')
  if (bytes.length < HEADER_BYTES || bytes.toString('base64url') !== token || bytes[0] !== VERSION ||
    bytes[1] !== ORDER_BY_VALUES.indexOf(query.order_by)) throw invalid()
  const id = Number(bytes.readBigUInt64BE(2))
  const keyBytes = bytes.subarray(HEADER_BYTES)
  const key = query.order_by === 'id' || query.order_by === '-id' ? null : keyBytes.toString('utf8')
  // No login or type holds a NUL (PostgreSQL's text cannot): only a forged token has one.
  if ((key === null && keyBytes.length) || key?.includes('\0')) throw invalid()
  if (!Number.isSafeInteger(id) || !check(query, id, key).equals(bytes.subarray(10, HEADER_BYTES))) throw invalid()
  return { id, key }
}
