// The result cache's shared tier: finished answers in Redis (REDIS_URL), for every worker and
// every machine that serves the same data. Each key holds its data version, so a re-seed
// invalidates by moving on to new keys; the old ones expire. Redis being down or slow makes
// an answer cost its database read, never an error: every failure is a miss.
import { Redis } from 'ioredis'
import type { Answer } from './resultCache.js'

export interface SharedAnswersOptions {
  url: string
  /** How long an answer stays in Redis (the data version, not this, keeps answers current). */
  ttlSeconds: number
  /** Longest wait for one Redis command before it counts as a miss. */
  timeoutMs: number
  /** Told once when Redis stops answering and once when it is back. */
  onStateChange?: (state: 'up' | 'down', error?: Error) => void
}

export interface SharedAnswersStats {
  hits: number
  misses: number
  /** Commands that failed or timed out (each a miss, or an answer not stored). */
  errors: number
  up: boolean
}

const KEY_PREFIX = 'ghusers:answer:'
const NEWLINE = 0x0a

/**
 * What a stored value holds: the tag and headers as a JSON line, then the body's bytes. JSON
 * escapes every newline, so the first one ends the line.
 */
function encode ({ etag, headers, body }: Answer): Buffer {
  return Buffer.concat([Buffer.from(`${JSON.stringify({ etag, headers })}\n`), typeof body === 'string' ? Buffer.from(body) : body])
}

/** The answer a stored value holds, or undefined when it is not one of ours (another tool wrote the key). */
function decode (value: Buffer, dataVersion: string): Answer | undefined {
  const end = value.indexOf(NEWLINE)
  if (end < 0) return undefined
  let meta: unknown
  try {
    meta = JSON.parse(value.subarray(0, end).toString())
  } catch {
    return undefined
  }
  if (!isAnswerMeta(meta)) return undefined
  return { dataVersion, etag: meta.etag, headers: meta.headers, body: value.subarray(end + 1) }
}

function isAnswerMeta (meta: unknown): meta is Pick<Answer, 'etag' | 'headers'> {
  if (typeof meta !== 'object' || meta === null) return false
  const { etag, headers } = meta as Record<string, unknown>
  return typeof etag === 'string' && typeof headers === 'object' && headers !== null &&
    Object.values(headers).every((value) => typeof value === 'string')
}

export class SharedAnswers {
  private readonly client: Redis
  private readonly ttlSeconds: number
  private hits = 0
  private misses = 0
  private errors = 0
  private state: 'starting' | 'up' | 'down' = 'starting'

  constructor ({ url, ttlSeconds, timeoutMs, onStateChange }: SharedAnswersOptions) {
    this.ttlSeconds = ttlSeconds
    this.client = new Redis(url, {
      // Fail at once while disconnected instead of queueing: a request does not wait for Redis.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: timeoutMs,
      connectTimeout: Math.max(timeoutMs, 1000),
      // Reconnect in the background, at most every 2 s.
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000)
    })
    const change = (state: 'up' | 'down', error?: Error) => {
      if (this.state === state) return
      this.state = state
      onStateChange?.(state, error)
    }
    this.client.on('ready', () => { change('up') })
    // ioredis emits an error per failed attempt to connect: told once, until it is back.
    this.client.on('error', (error: Error) => { change('down', error) })
    this.client.on('close', () => { change('down') })
  }

  /** The answer stored for `key` at `dataVersion`; undefined when there is none or Redis fails. */
  async get (key: string, dataVersion: string): Promise<Answer | undefined> {
    try {
      const value = await this.client.getBuffer(KEY_PREFIX + dataVersion + ':' + key)
      const answer = value === null ? undefined : decode(value, dataVersion)
      if (answer) this.hits++
      else this.misses++
      return answer
    } catch {
      this.errors++
      this.misses++
      return undefined
    }
  }

  /** Stores `answer` for the other workers and machines, without waiting; a failure only counts. */
  set (key: string, answer: Answer): void {
    this.client.set(KEY_PREFIX + answer.dataVersion + ':' + key, encode(answer), 'EX', this.ttlSeconds)
      .catch(() => { this.errors++ })
  }

  get stats (): SharedAnswersStats {
    return { hits: this.hits, misses: this.misses, errors: this.errors, up: this.state === 'up' }
  }

  async close (): Promise<void> {
    this.client.disconnect()
  }
}
