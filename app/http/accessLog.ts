// Fastify's request log, as its `logController` option lets us shape it: one info line per answer.
import { type FastifyReply, type FastifyRequest, type FastifyServerOptions, LogController } from 'fastify'

/** Pino: JSON lines (with each request's id and response time), readable colours on a terminal. */
export function loggerOptions (level: string): FastifyServerOptions['logger'] {
  if (!process.stdout.isTTY) return { level }
  return { level, transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } }
}

/**
 * The completed line names the request (method, url, client) beside its status and time, so an
 * answer is one line at info, as an access log is; the arrival line is written at debug, where it
 * shows a request that never ends.
 */
export class AccessLog extends LogController {
  override incomingRequest (request: FastifyRequest): void {
    if (this.isLogDisabled(request)) return
    request.log.debug({ req: request }, 'incoming request')
  }

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored')
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed')
  }
}
