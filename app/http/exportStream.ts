// An export as a Node Readable: it reads the next chunk of its snapshot only when its reader wants more.
import { Readable } from 'node:stream'
import type { Profile } from '../schemas/profiles.js'
import type { ProfilesExport } from '../store/profilesExportSource.js'
import type { ExportFormat } from './exportFormats.js'

/** Bytes buffered ahead of a reader; a reader that stops holds this and one chunk at most. */
const BUFFERED_BYTES = 64 * 1024

export class ExportStream extends Readable {
  private reading = false

  constructor (private readonly exported: ProfilesExport, private readonly format: ExportFormat) {
    super({ highWaterMark: BUFFERED_BYTES })
    if (format.header) this.push(format.header)
  }

  override _read (): void {
    if (this.reading) return
    this.reading = true
    // A turn of the event loop before each chunk, so other requests are served between them.
    setImmediate(() => this.readChunk())
  }

  override _destroy (error: Error | null, callback: (error?: Error | null) => void): void {
    Promise.resolve()
      .then(() => this.exported.close())
      .then(() => callback(error), (closeError: Error) => callback(error ?? closeError))
  }

  private readChunk (): void {
    if (this.destroyed) return
    let next
    try {
      next = this.exported.next()
    } catch (error) {
      this.destroy(error as Error)
      return
    }
    if (next instanceof Promise) next.then((rows) => this.deliver(rows), (error: Error) => this.destroy(error))
    else this.deliver(next)
  }

  private deliver (rows: Profile[] | undefined): void {
    this.reading = false
    if (this.destroyed) return
    if (rows === undefined) {
      // Every row is read: the snapshot (and its connection) ends now, not when the reader has the last bytes.
      Promise.resolve()
        .then(() => this.exported.close())
        .then(() => this.push(null), (error: Error) => this.destroy(error))
      return
    }
    // A step that matched no row (a rare filter) asks for the next one; otherwise the reader's pace does.
    if (rows.length === 0 || this.push(this.format.encode(rows))) this._read()
  }
}
