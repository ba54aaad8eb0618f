// The sample source: a deterministic generator of GitHub-shaped accounts, no network needed.
import type { Profile } from '../schemas/profiles.js'

// Account i has an id in [ID_STRIDE*i + 1, ID_STRIDE*i + ID_STRIDE]: increasing, with gaps,
// and the first account after any id is found without walking the sequence.
const ID_STRIDE = 4

const FIRST_NAMES = ['alice', 'amir', 'ana', 'ben', 'carla', 'chen', 'dana', 'diego', 'elena', 'emeka',
  'fatima', 'felix', 'grace', 'hana', 'ivan', 'jade', 'jonas', 'kai', 'kofi', 'lara', 'leo', 'lina',
  'marco', 'maya', 'mei', 'nadia', 'nico', 'noah', 'olga', 'omar', 'priya', 'quinn', 'rafael', 'rosa',
  'sam', 'sara', 'taro', 'tess', 'uma', 'victor', 'wei', 'yara', 'yusuf', 'zoe']
const LAST_NAMES = ['adams', 'baker', 'costa', 'dubois', 'evans', 'fischer', 'garcia', 'haddad', 'ito',
  'jensen', 'kim', 'lopez', 'muller', 'nakamura', 'okafor', 'park', 'quist', 'rossi', 'silva', 'tanaka',
  'umar', 'varga', 'weber', 'xu', 'yilmaz', 'zhang']
const WORDS = ['async', 'byte', 'cloud', 'code', 'data', 'dev', 'flux', 'forge', 'git', 'hack', 'io',
  'kernel', 'lambda', 'lint', 'logic', 'nano', 'node', 'open', 'pixel', 'query', 'rust', 'shell',
  'stack', 'sync', 'tensor', 'vector', 'web', 'zen']
const ORG_SUFFIXES = ['labs', 'hq', 'team', 'org', 'works', 'foundation', 'systems', 'collective']

/** A 32-bit integer hash (lowbias32): deterministic, well mixed, cheap. */
function mix (value: number): number {
  let x = value >>> 0
  x ^= x >>> 16
  x = Math.imul(x, 0x7feb352d)
  x ^= x >>> 15
  x = Math.imul(x, 0x846ca68b)
  x ^= x >>> 16
  return x >>> 0
}

function pick<T> (list: readonly T[], hash: number): T {
  return list[hash % list.length]!
}

function sampleId (index: number): number {
  return index * ID_STRIDE + 1 + (mix(index) % ID_STRIDE)
}

// Logins end in the id, after a prefix with no digits, so every login is unique.
function sampleLogin (id: number, type: Profile['type'], hash: number): string {
  const word = pick(WORDS, hash >>> 8)
  const first = pick(FIRST_NAMES, hash >>> 12)
  const last = pick(LAST_NAMES, hash >>> 20)
  if (type === 'Bot') return `${word}-bot${id}`
  if (type === 'Organization') return `${word}-${pick(ORG_SUFFIXES, hash >>> 16)}${id}`
  switch (hash % 4) {
    case 0: return `${first}${last}${id}`
    case 1: return `${first}-${last}${id}`
    case 2: return `${first[0]}${last}${id}`
    default: return `${first}${word}${id}`
  }
}

/** The sample account at a position of the sequence (0-based). */
export function sampleAccountAt (index: number): Profile {
  const id = sampleId(index)
  const hash = mix(id ^ 0x9e3779b9)
  const roll = hash % 100
  const type = roll === 0 ? 'Bot' : roll <= 10 ? 'Organization' : 'User'
  const username = sampleLogin(id, type, hash)
  return {
    id,
    username,
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    type,
    url: `https://github.com/${username}`
  }
}

/** The position of the first sample account whose id is greater than `since`. */
export function firstSampleIndexAfter (since: number): number {
  let index = Math.max(0, Math.floor(since / ID_STRIDE) - 1)
  while (sampleId(index) <= since) index++
  return index
}

/** `total` sample accounts after id `since`, in batches. */
export async function * sampleAccounts (
  { since, total, batchSize = 1000 }: { since: number, total: number, batchSize?: number }
): AsyncGenerator<Profile[]> {
  const start = firstSampleIndexAfter(since)
  for (let offset = 0; offset < total; offset += batchSize) {
    const size = Math.min(batchSize, total - offset)
    yield Array.from({ length: size }, (_, i) => sampleAccountAt(start + offset + i))
  }
}
