// Searches read off the event loop (piscina, one worker thread at a lower CPU priority): while one
// client sends costly searches, the loop keeps answering everyone else at its own speed.
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import type { FacetsRead, ProfilesFacetsSource } from '../profilesFacetsSource.js'
import type { PageQuery } from '../profilesPlan.js'
import type { KnownTotal, PageRead, ProfileFilters, ProfilesSource } from '../profilesSource.js'
import type { ProfilesRepository } from './profilesRepository.js'
import type { SearchTask } from './searchWorker.js'

/** The worker's module beside this one: compiled JavaScript, or the TypeScript source through tsx (tests, `npm run dev`). */
const FROM_SOURCE = extname(fileURLToPath(import.meta.url)) === '.ts'
const WORKER_FILE = new URL(FROM_SOURCE ? './searchWorkerFromSource.mjs' : './searchWorker.js', import.meta.url)

export class SearchPool {
  private readonly pool: Piscina<SearchTask, PageRead | FacetsRead | null>
  /**
   * The worker has loaded its module and opened its connection, so that the first search costs what
   * any other does (or failed to open it: that search then says why). Awaited, for a while, before
   * serving, and before closing: Node 20 aborts the process when a thread is terminated while it
   * loads a module.
   */
  readonly ready: Promise<unknown>

  constructor (databasePath: string) {
    this.pool = new Piscina({
      filename: WORKER_FILE.href,
      minThreads: 1,
      maxThreads: 1,
      idleTimeout: Number.POSITIVE_INFINITY,
      // The event loop's requests come first on a busy machine; a search waits for spare CPU.
      niceIncrement: 19,
      // A page's rows or a facet's counts at a time: a small heap keeps the process's memory near the main thread's.
      resourceLimits: { maxOldGenerationSizeMb: 24, maxYoungGenerationSizeMb: 4 },
      workerData: { databasePath }
    })
    this.ready = this.pool.run({ kind: 'open' }).catch(() => undefined)
  }

  async page (query: PageQuery, known?: KnownTotal): Promise<PageRead> {
    return await this.pool.run({ kind: 'page', query, known }) as PageRead
  }

  async facets (filters: ProfileFilters): Promise<FacetsRead> {
    return await this.pool.run({ kind: 'facets', filters }) as FacetsRead
  }

  async close (): Promise<void> {
    await this.ready
    await this.pool.destroy()
  }
}

/** The file's profiles: searches through the pool, every other read (bounded by positions, ids and kept counts) at once. */
export function searchingOffLoop (repository: ProfilesRepository, pool: SearchPool): ProfilesSource {
  return {
    dataVersion: () => repository.dataVersion(),
    readPage: (query, known) => query.username === undefined ? repository.readPage(query, known) : pool.page(query, known),
    findById: (id) => repository.findById(id),
    listAfterId: (since, limit) => repository.listAfterId(since, limit),
    findByLogin: (login) => repository.findByLogin(login),
    countAll: () => repository.countAll()
  }
}

/** The file's facets: a username's counted in the pool, the others (kept counts, one id) at once. */
export function facetsOffLoop (facets: ProfilesFacetsSource, pool: SearchPool): ProfilesFacetsSource {
  return { read: (filters) => filters.username === undefined ? facets.read(filters) : pool.facets(filters) }
}
