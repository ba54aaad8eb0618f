// Each request's logger: the app's pino logger bound to the request's id, made only when the
// request writes a line. Fastify's own factory makes a pino child for every request, which
// serialises its bindings at once (bench/README.md, fifth round), for nothing when the level
// (warn, say) lets no line of that request through.
import type { FastifyBaseLogger } from 'fastify'
import type { Bindings, ChildLoggerOptions, Logger, LevelWithSilent } from 'pino'

type Level = Exclude<LevelWithSilent, 'silent'>

class RequestLogger implements FastifyBaseLogger {
  private bound: Logger | undefined

  constructor (private readonly parent: Logger, private readonly bindings: Bindings) {}

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
    this.bound ??= this.parent.child(this.bindings)
    return this.bound
  }

  private write (level: Level, args: unknown[]): void {
    if (!this.bound && !this.parent.isLevelEnabled(level)) return
    const log: (...args: unknown[]) => void = this.boundLogger()[level]
    log.apply(this.bound, args)
  }
}

/**
 * Fastify's childLoggerFactory: a lazy child, unless the route asks for a level or serializers of
 * its own (the operational routes do), which a pino child holds from the start.
 */
export function lazyRequestLogger (logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  const parent = logger as Logger
  if (options.level !== undefined || options.serializers !== undefined) return parent.child(bindings, options)
  return new RequestLogger(parent, bindings)
}
