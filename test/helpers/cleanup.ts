// Cleaning up what a test made: vitest silently ignores afterAll() called inside a test or a hook.
import { afterAll, onTestFinished } from 'vitest'

const atFileEnd: Array<() => unknown> = []
afterAll(async () => {
  for (const clean of atFileEnd.splice(0).reverse()) await clean()
})

/** Runs `clean` when the current test ends, or when the test file ends if no test is running. */
export function cleanUpLater (clean: () => unknown): void {
  try {
    onTestFinished(async () => { await clean() })
  } catch {
    // Not inside a test: at the file's top level, in a describe() or in a beforeAll() hook.
    atFileEnd.push(clean)
  }
}
