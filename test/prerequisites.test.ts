// `npm test`'s pretest (test/prerequisites.ts), run as npm runs it, over a folder standing in for
// the machine's root: nothing to do when all is there, apt-get (a stand-in that records its calls
// and "installs" the programs) as root, and one message naming what to install where it cannot.
import { execFile } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { PROJECT_ROOT } from '../app/paths.js'
import { CHROMIUM_PATH, REDIS_SERVER } from './helpers/debianPackages.js'
import { temporaryDirectory } from './helpers/fixtures.js'

interface Outcome { code: number, stderr: string }

/** Runs the pretest check with TEST_PREREQUISITES_ROOT=root, optionally as the user nobody (`setpriv`, from root). */
async function pretest (root: string, asNobody = false): Promise<Outcome> {
  const node = [process.execPath, '--import', 'tsx', 'test/prerequisites.ts']
  const [command, ...args] = asNobody ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', ...node] : node
  try {
    const { stderr } = await promisify(execFile)(command!, args, { cwd: PROJECT_ROOT, env: { ...process.env, TEST_PREREQUISITES_ROOT: root } })
    return { code: 0, stderr }
  } catch (error) {
    const { code, stderr } = error as { code: number, stderr: string }
    return { code, stderr }
  }
}

/** A folder standing in for `/`, readable by anyone, with these files in it. */
function machineRoot (files: Record<string, string> = {}): string {
  const root = temporaryDirectory()
  chmodSync(root, 0o755)
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), content, { mode: 0o755 })
  }
  return root
}

const EVERYTHING = { [CHROMIUM_PATH]: '', [REDIS_SERVER]: '', '/usr/lib/postgresql/17/bin/postgres': '', '/usr/lib/postgresql/17/bin/initdb': '' }

/** An apt-get that logs its environment and arguments, and on install creates the named packages' programs. */
const FAKE_APT_GET = `#!/bin/sh
root=$(dirname "$(dirname "$(dirname "$0")")")
echo "$DEBIAN_FRONTEND $*" >> "$root/apt-get.log"
[ "$1" = install ] || exit 0
for package in "$@"; do
  case $package in
    chromium) touch "$root${CHROMIUM_PATH}" ;;
    redis-server) touch "$root${REDIS_SERVER}" ;;
    postgresql) mkdir -p "$root/usr/lib/postgresql/17/bin" && touch "$root/usr/lib/postgresql/17/bin/postgres" "$root/usr/lib/postgresql/17/bin/initdb" ;;
  esac
done
`

const isRoot = process.getuid?.() === 0

describe('npm test\'s pretest', () => {
  it('does nothing and says nothing when every package is there', async () => {
    const root = machineRoot({ ...EVERYTHING, '/usr/bin/apt-get': FAKE_APT_GET })
    expect(await pretest(root)).toEqual({ code: 0, stderr: '' })
    expect(existsSync(join(root, 'apt-get.log'))).toBe(false)
  })

  it('stops with one message naming what is missing on a machine without apt-get', async () => {
    const { code, stderr } = await pretest(machineRoot({ [CHROMIUM_PATH]: '' }))
    expect(code).toBe(1)
    expect(stderr).toBe('npm test needs Debian\'s redis-server and postgresql (/usr/bin/redis-server, /usr/lib/postgresql/<version>/bin/postgres), ' +
      'which are missing, and this machine has no apt-get to install them with. Install them with its own package manager, ' +
      'so that those programs are there, then run npm test again.\n')
  })

  it('counts a PostgreSQL without initdb as missing', async () => {
    const { code, stderr } = await pretest(machineRoot({ [CHROMIUM_PATH]: '', [REDIS_SERVER]: '', '/usr/lib/postgresql/17/bin/postgres': '' }))
    expect(code).toBe(1)
    expect(stderr).toMatch(/^npm test needs Debian's postgresql \(\/usr\/lib\/postgresql\/<version>\/bin\/postgres\), which is missing/)
  })

  it.runIf(isRoot)('as root, installs what is missing with apt-get, non-interactively, and goes on', async () => {
    const root = machineRoot({ [CHROMIUM_PATH]: '', '/usr/bin/apt-get': FAKE_APT_GET })
    const { code, stderr } = await pretest(root)
    expect(code).toBe(0)
    expect(stderr).toBe('npm test: installing Debian\'s redis-server and postgresql (apt-get install -y redis-server postgresql)\n')
    expect(readFileSync(join(root, 'apt-get.log'), 'utf8')).toBe('noninteractive update\nnoninteractive install -y redis-server postgresql\n')
  })

  it.runIf(isRoot)('not root and without sudo, stops at once with one message naming the command to run as root', async () => {
    const root = machineRoot({ '/usr/bin/apt-get': FAKE_APT_GET })
    const { code, stderr } = await pretest(root, true)
    expect(code).toBe(1)
    expect(stderr).toBe('npm test needs Debian\'s chromium, redis-server and postgresql (/usr/bin/chromium, /usr/bin/redis-server, ' +
      '/usr/lib/postgresql/<version>/bin/postgres), which are missing, and this process is neither root nor allowed to use sudo ' +
      'without a password. Install them as root (`sudo apt-get install -y chromium redis-server postgresql`), then run npm test again.\n')
    expect(existsSync(join(root, 'apt-get.log'))).toBe(false)
  })
})
