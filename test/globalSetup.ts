// Runs once before the suite: compiles the service, since the tests that spawn processes
// (`npm start`, the benchmark) run the compiled output, as production does.
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { PROJECT_ROOT } from '../app/paths.js'

export default function compileOnce (): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: PROJECT_ROOT, stdio: 'inherit' })
}
