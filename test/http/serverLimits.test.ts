// The HTTP server's timeouts and size limits: set on a listening app as SERVER_LIMITS says, and an
// over-long header block refused with 431.
import { describe, expect, it } from 'vitest'
import { SERVER_LIMITS } from '../../app/http/serverLimits.js'
import { build, sampleDatabase } from '../helpers/fixtures.js'
import { getOnNewConnection } from '../helpers/serverProcess.js'

const app = await build(await sampleDatabase(20))
const address = new URL(await app.listen({ port: 0, host: '127.0.0.1' }))

const statusOf = async (path: string, headers: Record<string, string>) => (await getOnNewConnection(new URL(path, address).href, headers)).status

describe('server limits', () => {
  it('are set on the listening server', () => {
    const server = app.server
    expect(server.listening).toBe(true)
    expect(server.keepAliveTimeout).toBe(SERVER_LIMITS.keepAliveTimeout)
    expect(server.requestTimeout).toBe(SERVER_LIMITS.requestTimeout)
    expect(server.headersTimeout).toBe(SERVER_LIMITS.headersTimeout)
    expect(server.timeout).toBe(SERVER_LIMITS.connectionTimeout)
    // Node keeps the option on the server; its types do not declare it.
    expect((server as typeof server & { maxHeaderSize?: number }).maxHeaderSize).toBe(SERVER_LIMITS.maxHeaderSize)
    expect(app.initialConfig.bodyLimit).toBe(SERVER_LIMITS.bodyLimit)
  })

  it('are consistent: headers before the whole request, an idle connection kept past a balancer\'s 60 s', () => {
    expect(SERVER_LIMITS.headersTimeout).toBeLessThan(SERVER_LIMITS.requestTimeout)
    expect(SERVER_LIMITS.keepAliveTimeout).toBeGreaterThan(60_000)
    expect(SERVER_LIMITS.connectionTimeout).toBeGreaterThan(SERVER_LIMITS.keepAliveTimeout)
  })

  it('answer 431 to a header block over the limit, and serve one under it', async () => {
    expect(await statusOf('/ping', { 'x-filler': 'a'.repeat(SERVER_LIMITS.maxHeaderSize / 2) })).toBe(200)
    expect(await statusOf('/ping', { 'x-filler': 'a'.repeat(SERVER_LIMITS.maxHeaderSize + 1) })).toBe(431)
    const many = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`x-filler-${i}`, 'a'.repeat(40)]))
    expect(await statusOf('/api/users/profiles', many)).toBe(431)
  })
})
