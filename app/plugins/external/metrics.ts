// Prometheus metrics (prom-client): every request timed by method, route pattern and status;
// Node's process metrics; and ghusers' own (result cache, database).
import cluster from 'node:cluster'
import { statSync } from 'node:fs'
import type { FastifyInstance, FastifyReply, FastifyRequest, onResponseHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import { shareWithPrimary } from '../../metrics/clusterMetrics.js'
import { RequestDurations } from '../../metrics/requestDurations.js'
import type { MaybePromise } from '../../store/profilesSource.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's own registry (tests build many apps in one process, so not prom-client's global one). */
    metricsRegistry: Registry
    /** The request-duration series of one route pattern (as registered), method and status. */
    requestTimer: (route: string, method: string, status: number) => (seconds: number) => void
  }
  interface FastifyContextConfig {
    /** Leaves a route's requests out of the request histogram (GET /metrics itself). */
    disableMetrics?: boolean
  }
}

/** Seconds. Our answers take well under a millisecond to a few; the top buckets catch trouble. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]
/** The route label of requests no route matched (never the raw URL: no label per query string or id). */
export const UNMATCHED_ROUTE = 'unmatched'

export interface MetricsPluginOptions {
  /** The SQLite file, whose size is reported; none when serving from PostgreSQL. */
  databasePath: string | undefined
}

/** Bytes on disk of the SQLite file and its write-ahead log. */
function databaseBytes (path: string): number {
  let bytes = 0
  for (const file of [path, `${path}-wal`]) {
    try { bytes += statSync(file).size } catch { /* no such file: nothing to add */ }
  }
  return bytes
}

async function countOrNaN (count: () => MaybePromise<number>): Promise<number> {
  try {
    return await count()
  } catch {
    return Number.NaN
  }
}

/**
 * Times every request into one histogram, with Fastify's own measure of the answer
 * (reply.elapsedTime). Each route gets its own onResponse hook, added when the route is
 * registered, that knows the route's pattern and keeps one observer per method and status:
 * reading the pattern per request (request.routeOptions builds a new object on every call) cost
 * more than the observation. fastify-metrics kept a timer per request in a WeakMap keyed by the
 * request, a third of a cached answer's cost (see bench/README.md). Requests no route matched
 * are timed by one app-wide hook, under one label.
 */
function timeRequests (app: FastifyInstance, registry: Registry): void {
  const histogram = new RequestDurations({
    name: 'http_request_duration_seconds',
    help: 'Time to answer a request, by method, route and status',
    buckets: LATENCY_BUCKETS
  })
  registry.registerMetric(histogram.asMetric())
  type Series = (method: string, status: number) => (seconds: number) => void
  // One per route pattern (a GET route and its HEAD share it), keeping one observer per method and status.
  const routeSeries = new Map<string, Series>()
  const seriesOf = (route: string): Series => {
    let series = routeSeries.get(route)
    if (series) return series
    const observers = new Map<string, (seconds: number) => void>()
    series = (method, status) => {
      const key = `${method} ${status}`
      let observe = observers.get(key)
      if (!observe) {
        observe = histogram.observer({ method, route, status_code: String(status) })
        observers.set(key, observe)
      }
      return observe
    }
    routeSeries.set(route, series)
    return series
  }
  const timeAnswer = (series: Series, request: FastifyRequest, reply: FastifyReply) =>
    series(request.method, reply.statusCode)(reply.elapsedTime / 1000)
  // The front door's answers are timed into their route's series too.
  app.decorate('requestTimer', (route: string, method: string, status: number) => seriesOf(route)(method, status))

  app.addHook('onRoute', (route) => {
    if (route.config?.disableMetrics === true) return
    const series = seriesOf(route.url)
    const timeRoute: onResponseHookHandler = (request, reply, done) => {
      timeAnswer(series, request, reply)
      done()
    }
    route.onResponse = [...[route.onResponse ?? []].flat(), timeRoute]
  })
  const unmatched = seriesOf(UNMATCHED_ROUTE)
  app.addHook('onResponse', (request, reply, done) => {
    if (request.is404) timeAnswer(unmatched, request, reply)
    done()
  })
}

/** A counter of ours that keeps no count: it reports `read()` (a running total) when scraped. */
function countRead (name: string, help: string, read: () => number): Counter {
  return new Counter({ name, help, registers: [], collect () { this.reset(); this.inc(read()) } })
}

async function metricsPlugin (app: FastifyInstance, { databasePath }: MetricsPluginOptions): Promise<void> {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  timeRequests(app, registry)

  const { profiles, resultCache } = app
  // Read when scraped, so counting costs the request path nothing.
  const ownMetrics = [
    countRead('ghusers_result_cache_hits_total', 'Queries answered from the server-side result cache',
      () => resultCache.stats.hits),
    countRead('ghusers_result_cache_misses_total', 'Queries the result cache did not hold, answered from the database',
      () => resultCache.stats.misses),
    new Gauge({
      name: 'ghusers_result_cache_entries',
      help: 'Results held in the server-side result cache',
      registers: [],
      collect () { this.set(resultCache.stats.entries) }
    }),
    new Gauge({
      name: 'ghusers_result_cache_bytes',
      help: 'Bytes of the answers held in the server-side result cache',
      registers: [],
      collect () { this.set(resultCache.stats.bytes) }
    }),
    new Gauge({
      name: 'ghusers_users',
      help: 'Accounts in the database (NaN while it cannot be read)',
      registers: [],
      aggregator: 'max',
      // A damaged file must not take the whole scrape down with it: that is when it is wanted most.
      async collect () { this.set(await countOrNaN(() => profiles.countAll())) }
    })
  ]
  if (databasePath !== undefined) {
    ownMetrics.push(new Gauge({
      name: 'ghusers_database_size_bytes',
      help: 'Size on disk of the SQLite file and its write-ahead log',
      registers: [],
      aggregator: 'max',
      collect () { this.set(databaseBytes(databasePath)) }
    }))
  }
  const { shared } = resultCache
  if (shared) {
    ownMetrics.push(
      countRead('ghusers_redis_cache_hits_total', 'Answers this process\'s memory lacked and Redis held',
        () => shared.stats.hits),
      countRead('ghusers_redis_cache_misses_total', 'Answers Redis did not hold or could not give (errors included), read from the database',
        () => shared.stats.misses),
      countRead('ghusers_redis_cache_errors_total', 'Redis commands that failed or timed out', () => shared.stats.errors),
      new Gauge({
        name: 'ghusers_redis_cache_up',
        help: '1 while Redis is connected, 0 while the result cache answers from memory and the database only',
        registers: [],
        aggregator: 'min',
        collect () { this.set(shared.stats.up ? 1 : 0) }
      })
    )
  }
  for (const metric of ownMetrics) registry.registerMetric(metric)

  if (cluster.isWorker) shareWithPrimary(registry)
  app.decorate('metricsRegistry', registry)
}

export default fp(metricsPlugin, { name: 'ghusers-metrics', fastify: '5.x', dependencies: ['profiles'] })
