// Metrics across WEB_CONCURRENCY workers: whichever worker a scrape reaches asks the primary,
// which gathers every worker's registry (prom-client's AggregatorRegistry) and answers.
import cluster, { type Worker } from 'node:cluster'
import { randomUUID } from 'node:crypto'
import { AggregatorRegistry, type PrometheusContentType, type Registry } from 'prom-client'

const REQUEST = 'ghusers:metrics-request'
const RESPONSE = 'ghusers:metrics-response'
const TIMEOUT_MS = 5_000

interface MetricsRequest { type: typeof REQUEST, id: string }
interface MetricsResponse { type: typeof RESPONSE, id: string, text?: string, error?: string }

/** Constructing one installs prom-client's listener for the primary's requests (once per process). */
let workerListener: AggregatorRegistry<PrometheusContentType> | undefined

/** In a worker: lets the primary's aggregator read `registry`. */
export function shareWithPrimary (registry: Registry): void {
  workerListener ??= new AggregatorRegistry()
  AggregatorRegistry.setRegistries([registry])
}

/** In the primary: answers each worker's request with every worker's metrics, aggregated. */
export function answerWorkersMetricsRequests (): void {
  const aggregator = new AggregatorRegistry()
  cluster.on('message', (worker: Worker, message: Partial<MetricsRequest>) => {
    if (message?.type !== REQUEST || typeof message.id !== 'string') return
    const { id } = message
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: RESPONSE, id, text } satisfies MetricsResponse),
      (error: Error) => worker.send({ type: RESPONSE, id, error: error.message } satisfies MetricsResponse)
    )
  })
}

/** In a worker: the whole cluster's metrics, in Prometheus text format. */
export function clusterMetricsFromPrimary (): Promise<string> {
  const id = randomUUID()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => settle(new Error('the primary process did not answer in time')), TIMEOUT_MS)
    const onMessage = (message: Partial<MetricsResponse>) => {
      if (message?.type !== RESPONSE || message.id !== id) return
      settle(message.error === undefined ? undefined : new Error(message.error), message.text)
    }
    function settle (error?: Error, text?: string) {
      clearTimeout(timer)
      process.off('message', onMessage)
      if (error) reject(error)
      else resolve(text ?? '')
    }
    process.on('message', onMessage)
    process.send!({ type: REQUEST, id } satisfies MetricsRequest)
  })
}
