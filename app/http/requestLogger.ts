// Each request's logger: the app's pino logger bound to the request's id, made only when the
// request writes a line. Fastify's own factory makes a pino child for every request, which
// serialises its bindings at once (bench/README.md, fifth round), for nothing when the level
// (warn, say) lets no line of that request through. It offers Fastify's logger interface: what
// Fastify, its plugins and our code call on request.log.
import type { FastifyBaseLogger } from 'fastify'
import type { Bindings, ChildLoggerOptions, Level, Logger } from 'pino'

class RequestLogger implements FastifyBaseLogger {
  private bound: Logger | undefined

  constructor (private readonly parent: Logger, private readonly requestBindings: Bindings) {}

  get level (): string {
    return (this.bound ?? this.parent).level
  }

  set level (level: string) {
    this.boundLogger().level = level
  }

  fatal (...args: unknown[]): void { this.write('fatal', args) }
  error (...args: unknown[]): void { this.write('error', args) }
  warn (...args: unknown[]): void { this.write('warn', args) }
  info (...args: unknown[]): void { this.write('info', args) }
  debug (...args: unknown[]): void { this.write('debug', args) }
  trace (...args: unknown[]): void { this.write('trace', args) }
  silent (): void {}

  child (bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.boundLogger().child(bindings, options)
  }

  private boundLogger (): Logger {
    this.bound ??= this.parent.child(this.requestBindings)
    return this.bound
  }

  private write (level: Level, args: unknown[]): void {
    if (!this.bound && !this.parent.isLevelEnabled(level)) return
    const bound = this.boundLogger()
    const log: (...args: unknown[]) => void = bound[level]
    log.apply(bound, args)
  }
}

/**
 * Fastify's childLoggerFactory, for a pino logger: a lazy child, unless Fastify passes options
 * (a route's own level: /metrics and the /docs routes set one), which a pino child holds from
 * the start.
 */
export function lazyRequestLogger (logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  const parent = logger as Logger
  return hasOwnOptions(options) ? parent.child(bindings, options) : new RequestLogger(parent, bindings)
}

/** Whether Fastify passed any option (its object is empty for most routes); no array per request, unlike Object.keys. */
function hasOwnOptions (options: ChildLoggerOptions): boolean {
  for (const key in options) if (Object.hasOwn(options, key)) return true
  return false
}
