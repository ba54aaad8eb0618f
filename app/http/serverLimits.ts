// Timeouts and size limits of the HTTP server, set explicitly rather than left to defaults.
// Documented in the README; every request the service answers is a small GET.

/** Fastify's and Node's server options: how long a client may take, how much it may send. */
export const SERVER_LIMITS = {
  /** A socket idle this long (no bytes either way) is closed; longer than keep-alive so that one decides. */
  connectionTimeout: 90_000,
  /**
   * An idle keep-alive connection is closed after this long. Longer than the 60 s idle timeout of
   * common load balancers, so the balancer, not us, closes first and never reuses a closed socket.
   */
  keepAliveTimeout: 72_000,
  /** A request must arrive whole (headers and body) within this long. */
  requestTimeout: 30_000,
  /** The request line and headers must arrive within this long (slow-loris defence). */
  headersTimeout: 15_000,
  /** Largest request line plus headers, in bytes (Node's default, stated). */
  maxHeaderSize: 16_384,
  /** Largest request body, in bytes: the service takes no bodies, so a small one is plenty. */
  bodyLimit: 16_384,
  /** Longest path parameter, in characters. */
  maxParamLength: 200
} as const
