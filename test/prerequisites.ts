// `npm test`'s pretest: the suite runs Debian's chromium, redis-server and postgresql. What is
// missing is installed with apt-get as root (as CI runs) or with passwordless sudo; where that
// cannot be done, it stops at once with one message saying what to install.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { TEST_PACKAGES, type DebianPackage } from './helpers/debianPackages.js'

/** Where the programs and apt-get are looked for: "/", or another folder in this script's own tests. */
const root = process.env.TEST_PREREQUISITES_ROOT ?? '/'
const aptGet = join(root, '/usr/bin/apt-get')

const missingPackages = () => TEST_PACKAGES.filter((item) => !item.installed(root))
const listed = (names: string[]) => names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names.at(-1)!}`

function stop (missing: DebianPackage[], why: string, remedy: string): never {
  process.stderr.write(`npm test needs Debian's ${listed(missing.map((item) => item.name))} ` +
    `(${missing.map((item) => item.program).join(', ')}), which ${missing.length === 1 ? 'is' : 'are'} missing, ${why}. ` +
    `${remedy}, then run npm test again.\n`)
  process.exit(1)
}

/** The command prefix that runs apt-get as root, or undefined when this process cannot. */
function asRoot (): string[] | undefined {
  if (process.getuid?.() === 0) return []
  // -n: never ask for a password, so a sudo that wants one fails at once instead of waiting.
  return spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore', timeout: 10_000 }).status === 0 ? ['sudo', '-n'] : undefined
}

function apt (prefix: string[], args: string[]): boolean {
  const [command, ...rest] = [...prefix, 'env', 'DEBIAN_FRONTEND=noninteractive', aptGet, ...args]
  return spawnSync(command!, rest, { stdio: 'inherit' }).status === 0
}

const missing = missingPackages()
if (missing.length > 0) {
  const names = missing.map((item) => item.name)
  const install = `apt-get install -y ${names.join(' ')}`
  if (!existsSync(aptGet)) {
    stop(missing, 'and this machine has no apt-get to install them with', 'Install them with its own package manager, so that those programs are there')
  }
  const prefix = asRoot()
  if (!prefix) stop(missing, 'and this process is neither root nor allowed to use sudo without a password', `Install them as root (\`sudo ${install}\`)`)
  process.stderr.write(`npm test: installing Debian's ${listed(names)} (${install})\n`)
  if (!apt(prefix, ['update']) || !apt(prefix, ['install', '-y', ...names])) {
    stop(missing, 'and apt-get could not install them (its output is above)', `Install them (\`${install}\`)`)
  }
  const left = missingPackages()
  if (left.length > 0) stop(left, 'even after apt-get installed them', 'Install them so that those programs are there')
}
