// The request-duration histogram: what prom-client's Histogram exports, read by its registry and
// its cluster aggregator like any of their own metrics, with an observation that costs a few
// additions. prom-client's observe() checks and hashes its label object on every call, even
// through a labels() child: about 4 µs of a cached answer's 100 (bench/README.md).
import type { Metric } from 'prom-client'

export interface RequestDurationsOptions {
  name: string
  help: string
  /** Upper bounds in seconds, ascending; +Inf is added. */
  buckets: readonly number[]
}

/** One label set's observations: counts per bucket (not yet cumulative), their sum and count. */
interface Series {
  labels: Readonly<Record<string, string>>
  counts: number[]
  sum: number
  count: number
}

/** A sample as prom-client's registry and aggregator read them (prom-client's MetricValueWithName). */
interface Sample {
  metricName: string
  labels: Record<string, string | number>
  value: number
}

export class RequestDurations {
  readonly name: string
  readonly help: string
  readonly type = 'histogram'
  /** Workers' series add up (node:cluster aggregation). */
  readonly aggregator = 'sum'
  private readonly buckets: readonly number[]
  private readonly series = new Map<string, Series>()

  constructor ({ name, help, buckets }: RequestDurationsOptions) {
    this.name = name
    this.help = help
    this.buckets = buckets
  }

  /** A function observing seconds into the series of `labels`; get it once per label set, call it per request. */
  observer (labels: Readonly<Record<string, string>>): (seconds: number) => void {
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))
    let series = this.series.get(key)
    if (!series) {
      series = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 }
      this.series.set(key, series)
    }
    const { buckets } = this
    const observed = series
    return (seconds) => {
      observed.sum += seconds
      observed.count++
      for (let i = 0; i < buckets.length; i++) {
        if (seconds <= buckets[i]!) {
          observed.counts[i]!++
          return
        }
      }
    }
  }

  /** This histogram in prom-client's export form: cumulative buckets up to +Inf, then sum and count, per series. */
  async get () {
    const values: Sample[] = []
    for (const { labels, counts, sum, count } of this.series.values()) {
      let cumulative = 0
      for (const [i, bound] of this.buckets.entries()) {
        cumulative += counts[i]!
        values.push({ metricName: `${this.name}_bucket`, labels: { le: bound, ...labels }, value: cumulative })
      }
      values.push(
        { metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...labels }, value: count },
        { metricName: `${this.name}_sum`, labels: { ...labels }, value: sum },
        { metricName: `${this.name}_count`, labels: { ...labels }, value: count }
      )
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values }
  }

  /** Zeroes every series (Registry.resetMetrics()); observers already handed out keep counting. */
  reset (): void {
    for (const series of this.series.values()) {
      series.counts.fill(0)
      series.sum = 0
      series.count = 0
    }
  }

  /** For Registry.registerMetric(), which is typed for prom-client's own classes but reads only name, get() and reset(). */
  asMetric (): Metric {
    return this as unknown as Metric
  }
}
