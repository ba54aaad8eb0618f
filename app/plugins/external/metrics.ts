// Prometheus metrics: fastify-metrics (over prom-client) times every request by method, route
// pattern and status; prom-client's process metrics; and ghusers' own (result cache, database).
import cluster from 'node:cluster'
import { statSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import fastifyMetricsModule from 'fastify-metrics'
import fp from 'fastify-plugin'
import promClient, { Counter, Gauge, Registry } from '@platformatic/prom-client'
import { shareWithPrimary } from '../../metrics/clusterMetrics.js'

// A CommonJS module whose plugin is its `default` export.
const fastifyMetrics = fastifyMetricsModule.default

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's own registry (tests build many apps in one process, so not prom-client's global one). */
    metricsRegistry: Registry
  }
}

/** Seconds. Our answers take well under a millisecond to a few; the top buckets catch trouble. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]
/** The route label of requests no route matched (never the raw URL: no label per query string or id). */
export const UNMATCHED_ROUTE = 'unmatched'

export interface MetricsPluginOptions {
  databasePath: string
}

/** Bytes on disk of the SQLite file and its write-ahead log. */
function databaseBytes (path: string): number {
  let bytes = 0
  for (const file of [path, `${path}-wal`]) {
    try { bytes += statSync(file).size } catch { /* no such file: nothing to add */ }
  }
  return bytes
}

function countOrNaN (count: () => number): number {
  try {
    return count()
  } catch {
    return Number.NaN
  }
}

async function metricsPlugin (app: FastifyInstance, { databasePath }: MetricsPluginOptions): Promise<void> {
  const registry = new Registry()
  // @platformatic/prom-client is prom-client's API with a cheaper observe() (it times every
  // request); fastify-metrics' types name prom-client's own classes, hence the casts.
  const registers = [registry] as never[]
  await app.register(fastifyMetrics, {
    promClient: promClient as never,
    endpoint: null, // served by the operations routes, which aggregate a cluster's workers
    defaultMetrics: { enabled: true, register: registry as never },
    routeMetrics: {
      enabled: { histogram: true, summary: false },
      registeredRoutesOnly: false,
      invalidRouteGroup: UNMATCHED_ROUTE,
      overrides: {
        histogram: { name: 'http_request_duration_seconds', help: 'Time to answer a request, by method, route and status', buckets: LATENCY_BUCKETS, registers },
        summary: { registers }
      }
    }
  })

  const { profiles, resultCache } = app
  // Read when scraped, so counting costs the request path nothing.
  const ownMetrics = [
    new Counter({
      name: 'ghusers_result_cache_hits_total',
      help: 'Queries answered from the server-side result cache',
      registers: [],
      collect () { this.reset(); this.inc(resultCache.stats.hits) }
    }),
    new Counter({
      name: 'ghusers_result_cache_misses_total',
      help: 'Queries the result cache did not hold, answered from the database',
      registers: [],
      collect () { this.reset(); this.inc(resultCache.stats.misses) }
    }),
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
      name: 'ghusers_database_size_bytes',
      help: 'Size on disk of the SQLite file and its write-ahead log',
      registers: [],
      aggregator: 'max',
      collect () { this.set(databaseBytes(databasePath)) }
    }),
    new Gauge({
      name: 'ghusers_users',
      help: 'Accounts in the database (NaN while the file cannot be read)',
      registers: [],
      aggregator: 'max',
      // A damaged file must not take the whole scrape down with it: that is when it is wanted most.
      collect () { this.set(countOrNaN(() => profiles.countAll())) }
    })
  ]
  for (const metric of ownMetrics) registry.registerMetric(metric)

  if (cluster.isWorker) shareWithPrimary(registry)
  app.decorate('metricsRegistry', registry)
}

export default fp(metricsPlugin, { name: 'ghusers-metrics', fastify: '5.x', dependencies: ['profiles'] })
