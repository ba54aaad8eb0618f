// The Debian packages the tests run, where each puts the program they start, and how to tell that
// it is installed: one table for the helpers that start them and for `npm test`'s pretest check.
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

export const CHROMIUM_PATH = '/usr/bin/chromium'
export const REDIS_SERVER = '/usr/bin/redis-server'
/** Debian keeps each PostgreSQL version's programs in <this>/<major>/bin, off the PATH. */
export const POSTGRES_ROOT = '/usr/lib/postgresql'

/** The newest installed PostgreSQL version's bin folder under `root`, if there is one with its server and initdb. */
export function postgresBinDirectory (root = '/'): string | undefined {
  let versions: string[]
  try {
    versions = readdirSync(join(root, POSTGRES_ROOT)).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a))
  } catch {
    return undefined
  }
  const bin = versions.map((version) => join(POSTGRES_ROOT, version, 'bin'))
    .find((directory) => ['postgres', 'initdb'].every((program) => existsSync(join(root, directory, program))))
  return bin && join(root, bin)
}

export interface DebianPackage {
  name: string
  /** What the tests run of it, as the message about a missing one names it. */
  program: string
  /** Whether it is installed under `root` ("/", or another folder in the pretest check's own tests). */
  installed: (root: string) => boolean
}

export const TEST_PACKAGES: DebianPackage[] = [
  { name: 'chromium', program: CHROMIUM_PATH, installed: (root) => existsSync(join(root, CHROMIUM_PATH)) },
  { name: 'redis-server', program: REDIS_SERVER, installed: (root) => existsSync(join(root, REDIS_SERVER)) },
  { name: 'postgresql', program: `${POSTGRES_ROOT}/<version>/bin/postgres`, installed: (root) => postgresBinDirectory(root) !== undefined }
]
