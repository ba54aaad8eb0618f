// Where the project's folders and packaged assets are, from tsx or from compiled output alike.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

function findProjectRoot (start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'views'))) return dir
    if (dirname(dir) === dir) throw new Error(`no project root above ${start}`)
  }
}

const require = createRequire(import.meta.url)

export const PROJECT_ROOT = findProjectRoot(dirname(fileURLToPath(import.meta.url)))
export const VIEWS_DIR = join(PROJECT_ROOT, 'views')
export const PUBLIC_DIR = join(PROJECT_ROOT, 'public')
export const BOOTSTRAP_DIST_DIR = join(dirname(require.resolve('bootstrap/package.json')), 'dist')
export const DEFAULT_DATABASE_PATH = join(PROJECT_ROOT, 'database', 'github_users.db')

/** The database file: DATABASE_PATH (relative to the working directory) or the default. */
export function databasePathFrom (value: string | undefined): string {
  return value ? resolve(value) : DEFAULT_DATABASE_PATH
}
