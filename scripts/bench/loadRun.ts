// Drives one URL with autocannon for a fixed time and sums up what it saw.
import autocannon from 'autocannon'
import { TICKS_PER_SECOND } from './processTree.js'

export interface LoadOptions {
  /** Measured seconds. */
  duration: number
  /** Unmeasured seconds first, to warm caches and the JIT. */
  warmup: number
  connections: number
}

export interface Measurement {
  requestsPerSecond: number
  /** Latency percentiles of every response, in milliseconds (autocannon's own are whole ms). */
  p50Ms: number
  p99Ms: number
  /** Non-2xx responses, socket errors and timeouts. */
  errors: number
  /**
   * CPU time (user and system) the server used per answered request, in microseconds: what a
   * request costs the server, which, unlike req/s, does not depend on how much of the machine the
   * load generator leaves it. NaN when the server's CPU time was not given.
   */
  serverCpuUsPerRequest: number
}

/** Runs autocannon against `url` and collects each response's latency at full precision. */
function runAutocannon (url: string, seconds: number, connections: number, latenciesMs?: number[]): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon({ url, duration: seconds, connections, pipelining: 1 }, (error, result) => {
      if (error) reject(error)
      else resolve(result)
    })
    if (latenciesMs) instance.on('response', (_client, _statusCode, _bytes, ms) => { latenciesMs.push(ms) })
  })
}

function percentile (sorted: Float64Array, fraction: number): number {
  if (!sorted.length) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!
}

/**
 * How many scenario warm-ups a freshly started server gets on its first URL before any
 * measurement: V8 is still compiling the request path in its first seconds (bench/README.md).
 */
export const FRESH_SERVER_WARMUPS = 3

/**
 * Drives `urls` unmeasured, right after a server starts: the first for FRESH_SERVER_WARMUPS
 * warm-ups, then each of the others for one. Every scenario then meets a server that has run all
 * of their paths: warmed on the first URL only, the first scenario was measured while V8 still
 * compiled, and so read slower than the same answer measured later.
 */
export async function warmUpFreshServer (urls: string[], options: LoadOptions): Promise<void> {
  if (options.warmup <= 0) return
  for (const [index, url] of urls.entries()) {
    await runAutocannon(url, (index === 0 ? FRESH_SERVER_WARMUPS : 1) * options.warmup, options.connections)
  }
}

/** Drives `url`; `serverCpuTicks` (the server tree's CPU time so far) is read around the measured run. */
export async function measureLoad (url: string, options: LoadOptions, serverCpuTicks?: () => number): Promise<Measurement> {
  if (options.warmup > 0) await runAutocannon(url, options.warmup, options.connections)
  const latenciesMs: number[] = []
  const ticksBefore = serverCpuTicks?.() ?? Number.NaN
  const result = await runAutocannon(url, options.duration, options.connections, latenciesMs)
  const ticks = (serverCpuTicks?.() ?? Number.NaN) - ticksBefore
  const sorted = Float64Array.from(latenciesMs).sort()
  return {
    requestsPerSecond: result.requests.total / result.duration,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    errors: result.errors + result.non2xx,
    serverCpuUsPerRequest: ticks * (1e6 / TICKS_PER_SECOND) / result.requests.total
  }
}
