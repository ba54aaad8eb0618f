// Prometheus metrics (prom-client): every request timed by method, route pattern and status;
// Node's process metrics; and ghusers' own (answer store, database).
import cluster from 'node:cluster'
import { statSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { shareWithPrimary } from '../../metrics/clusterMetrics.js'
import type { MaybePromise } from '../../store/profilesSource.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's own registry (tests build many apps in one process, so not prom-client's global one). */
    metricsRegistry: Registry
    /** Seconds to answer, by method, route pattern and status (the router's own 400s are observed where they are sent). */
    requestDurations: Histogram<'method' | 'route' | 'status_code'>
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

/** A counter of ours that keeps no count: it reports `read()` (a running total) when scraped. */
function countRead (name: string, help: string, read: () => number): Counter {
  return new Counter({ name, help, registers: [], collect () { this.reset(); this.inc(read()) } })
}

/** A gauge read when scraped, so that counting costs the request path nothing. */
function gaugeRead (name: string, help: string, read: () => MaybePromise<number>, aggregator: 'sum' | 'max' | 'min' = 'sum'): Gauge {
  return new Gauge({ name, help, registers: [], aggregator, async collect () { this.set(await read()) } })
}

async function metricsPlugin (app: FastifyInstance, { databasePath }: MetricsPluginOptions): Promise<void> {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })

  const durations = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer a request, by method, route and status',
    labelNames: ['method', 'route', 'status_code'],
    buckets: LATENCY_BUCKETS,
    registers: [registry]
  })
  app.addHook('onResponse', (request, reply, done) => {
    const { config, url } = request.routeOptions
    if (config.disableMetrics !== true) {
      const route = request.is404 || url === undefined ? UNMATCHED_ROUTE : url
      durations.observe({ method: request.method, route, status_code: reply.statusCode }, reply.elapsedTime / 1000)
    }
    done()
  })

  const { profiles, answerStore } = app
  const ownMetrics = [
    countRead('ghusers_result_cache_hits_total', 'Queries answered from the server-side answer store',
      () => answerStore.stats.hits),
    countRead('ghusers_result_cache_misses_total', 'Queries the answer store did not hold, answered from the database',
      () => answerStore.stats.misses),
    gaugeRead('ghusers_result_cache_entries', 'Answers held in this process\'s answer store', () => answerStore.stats.entries),
    gaugeRead('ghusers_result_cache_bytes', 'Bytes of the answers held in this process\'s answer store', () => answerStore.stats.bytes),
    // A damaged file must not take the whole scrape down with it: that is when it is wanted most.
    gaugeRead('ghusers_users', 'Accounts in the database (NaN while it cannot be read)', () => countOrNaN(() => profiles.countAll()), 'max')
  ]
  if (databasePath !== undefined) {
    ownMetrics.push(gaugeRead('ghusers_database_size_bytes', 'Size on disk of the SQLite file and its write-ahead log',
      () => databaseBytes(databasePath), 'max'))
  }
  const redis = () => answerStore.stats.redis
  if (redis()) {
    ownMetrics.push(
      countRead('ghusers_redis_cache_hits_total', 'Answers this process\'s memory lacked and Redis held', () => redis()!.hits),
      countRead('ghusers_redis_cache_misses_total', 'Answers Redis did not hold or could not give (errors included), read from the database',
        () => redis()!.misses),
      countRead('ghusers_redis_cache_errors_total', 'Redis commands that failed or timed out', () => redis()!.errors),
      gaugeRead('ghusers_redis_cache_up', '1 while Redis is connected, 0 while answers come from memory and the database only',
        () => (redis()!.up ? 1 : 0), 'min')
    )
  }
  for (const metric of ownMetrics) registry.registerMetric(metric)

  if (cluster.isWorker) shareWithPrimary(registry)
  app.decorate('metricsRegistry', registry)
  app.decorate('requestDurations', durations)
}

export default fp(metricsPlugin, { name: 'ghusers-metrics', fastify: '5.x', dependencies: ['profiles', 'answer-store'] })
