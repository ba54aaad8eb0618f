// The `answerStore` service: finished answers and issued tags (app/http/answerStore.ts), in this
// process's memory and in Redis when REDIS_URL is set; handed to @fastify/caching as its store.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { AppConfig } from '../../config.js'
import { versionTagPrefix } from '../../http/answers.js'
import { AnswerStore } from '../../http/answerStore.js'

declare module 'fastify' {
  interface FastifyInstance {
    answerStore: AnswerStore
  }
}

async function answerStorePlugin (app: FastifyInstance, { enabled, maxEntries, maxBytes, redis }: AppConfig['resultCache']): Promise<void> {
  const store = new AnswerStore({
    keepAnswers: enabled,
    maxEntries,
    maxBytes,
    redis,
    currentPrefix: () => versionTagPrefix(app.profiles.dataVersion()),
    onRedisStateChange: (state, error) => {
      if (state === 'up') app.log.info('Redis answer cache connected')
      else app.log.warn({ err: error }, 'Redis answer cache unreachable: answering from memory and the database meanwhile')
    }
  })
  app.decorate('answerStore', store)
  app.addHook('onClose', () => store.close())
}

export default fp(answerStorePlugin, { name: 'answer-store', fastify: '5.x', dependencies: ['profiles'] })
