// The search worker where the server runs from TypeScript (tests, `npm run dev`): tsx loads it, and
// the worker's module waits for that, so no search can reach it before its loader is in place.
import { tsImport } from 'tsx/esm/api'

const { default: search } = await tsImport('./searchWorker.ts', import.meta.url)
export default search
