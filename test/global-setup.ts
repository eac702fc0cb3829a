import { execFileSync } from 'node:child_process';

/** CLI tests that spawn bin/kfguard.js need the current bundle, not whatever npm ci built earlier. */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: ['ignore', 'ignore', 'inherit'] });
}
