#!/usr/bin/env node
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(bundle)) {
  process.stderr.write('kfguard: dist/cli.js is missing; run `npm ci` (or `npm run build`) first\n');
  process.exit(2);
}
// The bundle is minified: stack traces point at the sources through its source map.
process.setSourceMapsEnabled(true);
await import(bundle.href);
