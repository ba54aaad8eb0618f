// Helmet's security headers, made once (they are the same for every answer) and set on each, here
// and on the answers written before any hook runs (http/edgeAnswers.ts); why not @fastify/helmet: bench/README.md.
import type { IncomingMessage, ServerResponse } from 'node:http'
import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'

const AVATAR_ORIGIN = 'https://avatars.githubusercontent.com'

/**
 * The pages' policy: nothing but our own origin, avatars from GitHub's image host, and data:
 * images (Bootstrap's form controls draw their arrows and ticks as inline SVG). No inline script
 * or style anywhere.
 */
const CONTENT_SECURITY_POLICY = {
  'default-src': ["'self'"],
  'base-uri': ["'none'"],
  'connect-src': ["'self'"],
  'font-src': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'img-src': ["'self'", 'data:', AVATAR_ORIGIN],
  'object-src': ["'none'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'"]
}

/**
 * Helmet's defaults, with frames denied, minus five headers for software that no longer ships
 * (X-Download-Options: IE 8; X-Permitted-Cross-Domain-Policies: Flash and Acrobat; X-XSS-Protection:
 * the removed XSS auditors; X-DNS-Prefetch-Control and Origin-Agent-Cluster: hints with nothing to
 * protect here).
 */
const HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
  xDnsPrefetchControl: false,
  originAgentCluster: false
}

/** The headers helmet sets for `options`, read off a stand-in response (lower-case names). */
function helmetHeaders (options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {}
  const response = {
    setHeader (name: string, value: string) { headers[name.toLowerCase()] = value },
    removeHeader (name: string) { delete headers[name.toLowerCase()] }
  }
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, () => {})
  return headers
}

/** The security headers of every answer. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze(helmetHeaders(HELMET_OPTIONS))

export default fp(async (app) => {
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(SECURITY_HEADERS)
    done()
  })
}, { name: 'security-headers', fastify: '5.x' })
