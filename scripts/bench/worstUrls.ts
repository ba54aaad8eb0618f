// The worst-URL set (deep pages of every filtered list, short and long searches, deep cursors), each
// measured as the cost of one request and as req/s, and the isolation run: one client sending the
// costliest URLs back to back while another measures page 1. Cache off, as issue #19 asks.
import { measureLoad, type LoadOptions, type Measurement } from './loadRun.js'

const LIST = '/api/users/profiles'

/** Lists whose deep pages, totals and cursors used to cost the most; a `?` at the end of a URL is filled with a deep cursor. */
export const WORST_URLS: string[] = [
  `${LIST}?type=User&order_by=-username&page=30000`,
  `${LIST}?type=User&page=35000`,
  `${LIST}?type=Organization&order_by=username&page=3500`,
  `${LIST}?type=Bot&order_by=-id&page=350`,
  `${LIST}?username=e&page=24000`,
  `${LIST}?username=e&order_by=-type&page=13000`,
  `${LIST}?username=an&page=5000`,
  `${LIST}?username=an&page=3000`,
  `${LIST}?username=an&page=1`,
  `${LIST}?username=zq`,
  `${LIST}?username=zq&order_by=-username`,
  `${LIST}?username=gq&type=User&order_by=username`,
  `${LIST}?username=ana&order_by=-username`,
  `${LIST}?username=ana&order_by=username&page=1500`,
  `${LIST}?username=alice&order_by=-username&page=300`,
  `${LIST}?username=code&type=Organization`,
  `${LIST}?username=alice&type=User&order_by=-username&page=500`,
  `${LIST}?username=code&order_by=-type&page=400`,
  `${LIST}?username=a&order_by=-username&page=10000`,
  `${LIST}?username=100&order_by=username&page=50`,
  `${LIST}?username=no-such-login-at-all`,
  `${LIST}?type=User&order_by=-username&after=?page=30000`,
  `${LIST}?username=an&order_by=username&after=?page=5000`,
  `${LIST}?order_by=-type&after=?page=20000`,
  `${LIST}?username=ana&order_by=-type&after=?page=3000`,
  // A common term no Bot or Organization holds: the types before its first match, and (at 1M) the
  // cursor of its last page, past which only those types follow.
  `${LIST}?username=ka&order_by=type`,
  `${LIST}?username=ka&order_by=-type&after=?page=4203`,
  // Matches gathered far from the order's start (logins that begin with the term), a rare term's
  // listed ids in a type order, and a cursor whose next matches lie tens of thousands of rows on.
  `${LIST}?username=alice&order_by=-username`,
  `${LIST}?username=ab&type=Organization&order_by=-username`,
  `${LIST}?username=a5&order_by=type`,
  `${LIST}?username=ab&type=User&order_by=username&after=?page=100`,
  // A common longer term's middle page (PostgreSQL sorts all its trigram candidates), and (at 1M) a
  // search's last page by cursor, whose matches all gather early in the order.
  `${LIST}?username=naka&order_by=type&page=849`,
  `${LIST}?username=un&type=User&order_by=-username&after=?page=7`,
  '/api/users/facets?username=alice'
]

export interface WorstUrlResult { url: string, status: number, oneRequestMs: number, measurement: Measurement }
export interface IsolationResult { alone: Measurement, underAttack: Measurement, attackRequests: number }

/** A deep cursor URL made concrete: the next_cursor of the page named after `?`, given as after. */
async function resolveUrl (base: string, url: string): Promise<string> {
  const marker = url.indexOf('after=?')
  if (marker < 0) return url
  const pageQuery = url.slice(marker + 'after=?'.length)
  const list = url.slice(0, marker).replace(/&$/, '')
  const body = await (await fetch(`${base}${list}&${pageQuery}`)).json() as { next_cursor: string | null }
  return `${list}&after=${body.next_cursor ?? ''}`
}

/** The cheapest of a few sequential requests: what one request costs, with the network's own cost in it. */
async function oneRequestMs (url: string): Promise<{ ms: number, status: number }> {
  let best = Number.POSITIVE_INFINITY
  let status = 0
  for (let i = 0; i < 3; i++) {
    const started = performance.now()
    const response = await fetch(url)
    await response.arrayBuffer()
    best = Math.min(best, performance.now() - started)
    status = response.status
  }
  return { ms: best, status }
}

export async function measureWorstUrls (base: string, load: LoadOptions, cpuTicks?: () => number): Promise<WorstUrlResult[]> {
  // Every one-request cost first: a load run leaves requests queued behind a costly URL that would delay the next.
  const single: Array<{ url: string, ms: number, status: number }> = []
  for (const template of WORST_URLS) {
    const url = await resolveUrl(base, template)
    single.push({ url, ...await oneRequestMs(base + url) })
  }
  const results: WorstUrlResult[] = []
  for (const { url, ms, status } of single) {
    results.push({ url, status, oneRequestMs: ms, measurement: await measureLoad(base + url, load, cpuTicks) })
  }
  return results
}

/** Page 1's req/s and p99 alone, then while one client sends the costliest URLs back to back. */
export async function measureIsolation (base: string, worst: WorstUrlResult[], load: LoadOptions): Promise<IsolationResult> {
  const costliest = [...worst].sort((a, b) => b.oneRequestMs - a.oneRequestMs).slice(0, 5).map((result) => base + result.url)
  const alone = await measureLoad(`${base}${LIST}`, load)
  const attack = { running: true }
  let attackRequests = 0
  const attacker = (async () => {
    while (attack.running) {
      for (const url of costliest) {
        await (await fetch(url)).arrayBuffer()
        attackRequests++
      }
    }
  })()
  const underAttack = await measureLoad(`${base}${LIST}`, load)
  attack.running = false
  await attacker
  return { alone, underAttack, attackRequests }
}

export function renderWorstUrls (worst: WorstUrlResult[], isolation: IsolationResult, ceilingRps: number): string {
  const rows = worst.map(({ url, status, oneRequestMs: ms, measurement }) =>
    `| \`${url.length > 90 ? `${url.slice(0, 87)}…` : url}\` | ${status} | ${ms.toFixed(1)} | ${Math.round(measurement.requestsPerSecond).toLocaleString('en-US')} | ${measurement.p99Ms.toFixed(1)} |`)
  const share = isolation.underAttack.requestsPerSecond / isolation.alone.requestsPerSecond
  return [
    '',
    '## Worst URLs (1 worker, result cache off)',
    '',
    `One request: the cheapest of 3 sequential requests, network included. Ceiling (bare Fastify): ${Math.round(ceilingRps).toLocaleString('en-US')} req/s.`,
    '',
    '| URL | status | one request (ms) | req/s | p99 (ms) |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    '## Isolation (1 worker, result cache off)',
    '',
    'One client sends the five costliest URLs above back to back while autocannon measures API page 1.',
    '',
    '| page 1 | req/s | p99 (ms) |',
    '| --- | ---: | ---: |',
    `| alone | ${Math.round(isolation.alone.requestsPerSecond).toLocaleString('en-US')} | ${isolation.alone.p99Ms.toFixed(1)} |`,
    `| beside the costliest URLs (${isolation.attackRequests} of them sent) | ${Math.round(isolation.underAttack.requestsPerSecond).toLocaleString('en-US')} | ${isolation.underAttack.p99Ms.toFixed(1)} |`,
    '',
    `Page 1 keeps ${(share * 100).toFixed(0)}% of its throughput.`,
    ''
  ].join('\n')
}
