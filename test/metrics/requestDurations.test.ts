// RequestDurations exports what prom-client's own Histogram exports for the same observations,
// in the text format and through the cluster aggregator.
import { AggregatorRegistry, Histogram, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { RequestDurations } from '../../app/metrics/requestDurations.js'

const BUCKETS = [0.001, 0.01, 0.1, 1]
const NAME = 'request_seconds'
const HELP = 'Time to answer'
const LABEL_SETS = [
  { method: 'GET', route: '/a', status_code: '200' },
  { method: 'GET', route: '/a', status_code: '404' },
  { method: 'HEAD', route: '/b/:id', status_code: '200' }
]

/** The same observations, into ours and into prom-client's Histogram, each in a registry of its own. */
function bothWith (observations: Array<[number, number]>) {
  const ours = new RequestDurations({ name: NAME, help: HELP, buckets: BUCKETS })
  const theirs = new Histogram({ name: NAME, help: HELP, buckets: BUCKETS, labelNames: ['method', 'route', 'status_code'], registers: [] })
  const oursRegistry = new Registry()
  oursRegistry.registerMetric(ours.asMetric())
  const theirsRegistry = new Registry()
  theirsRegistry.registerMetric(theirs)
  const observers = LABEL_SETS.map((labels) => ours.observer(labels))
  for (const [set, seconds] of observations) {
    observers[set]!(seconds)
    theirs.observe(LABEL_SETS[set]!, seconds)
  }
  return { ours, oursRegistry, theirsRegistry }
}

/** Random durations over every bucket, bounds themselves and values past the last one included. */
function randomObservations (count: number): Array<[number, number]> {
  const special = [...BUCKETS, 0, 5, 1e-9]
  return Array.from({ length: count }, (_, i) => [
    i % LABEL_SETS.length,
    i % 7 === 0 ? special[i % special.length]! : 10 ** (Math.random() * 5 - 4)
  ])
}

describe('RequestDurations', () => {
  it('gives the text exposition prom-client\'s Histogram gives, bucket by bucket', async () => {
    const { oursRegistry, theirsRegistry } = bothWith(randomObservations(500))
    expect(await oursRegistry.metrics()).toBe(await theirsRegistry.metrics())
  })

  it('adds up across workers like prom-client\'s Histogram', async () => {
    const workers = [bothWith(randomObservations(200)), bothWith(randomObservations(300))]
    const aggregated = async (registries: Registry[]) =>
      AggregatorRegistry.aggregate(await Promise.all(registries.map((registry) => registry.getMetricsAsJSON()))).metrics()
    expect(await aggregated(workers.map((worker) => worker.oursRegistry)))
      .toBe(await aggregated(workers.map((worker) => worker.theirsRegistry)))
  })

  it('keeps one series per label set, however often its observer is asked for', async () => {
    const ours = new RequestDurations({ name: NAME, help: HELP, buckets: BUCKETS })
    ours.observer({ method: 'GET', route: '/a', status_code: '200' })(0.005)
    ours.observer({ status_code: '200', route: '/a', method: 'GET' })(0.05)
    const counts = (await ours.get()).values.filter((sample) => sample.metricName === `${NAME}_count`)
    expect(counts.map((sample) => sample.value)).toEqual([2])
  })

  it('is zeroed by the registry\'s reset, and its observers count on from zero', async () => {
    const { ours, oursRegistry } = bothWith([[0, 0.5]])
    oursRegistry.resetMetrics()
    expect((await ours.get()).values.every((sample) => sample.value === 0)).toBe(true)
    ours.observer(LABEL_SETS[0]!)(0.5)
    const count = (await ours.get()).values.find((sample) => sample.metricName === `${NAME}_count`)
    expect(count?.value).toBe(1)
  })
})
