// Runs once before the suite: compiles the service with `npm run build`, since the tests that
// spawn processes (`npm start`, the benchmark) run the compiled output, as production does.
import { execFileSync } from 'node:child_process'
import { PROJECT_ROOT } from '../app/paths.js'

export default function compileOnce (): void {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: PROJECT_ROOT, stdio: 'inherit' })
}
