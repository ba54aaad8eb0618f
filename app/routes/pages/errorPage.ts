// The HTML error page: a status, a message, and ways back.
import type { FastifyInstance, FastifyReply } from 'fastify'
import { NOT_STORED } from '../../http/edgeAnswers.js'

export interface ErrorPage {
  statusCode: number
  title: string
  message: string
  links: Array<{ href: string, label: string }>
}

export const HOME_LINK = { href: '/users', label: 'Back to the first page' }

export function sendErrorPage (reply: FastifyReply, page: ErrorPage) {
  return reply.code(page.statusCode).header('cache-control', NOT_STORED).type('text/html; charset=utf-8').viewAsync('error.eta', page)
}

export function errorPageHtml (app: FastifyInstance, page: ErrorPage): Promise<string> {
  return app.view('error.eta', page)
}
