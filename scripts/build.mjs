// Bundles the kfguard CLI with esbuild into dist/cli.js (run by `npm ci` through `prepare`).
import { build } from 'esbuild';

await build({
  entryPoints: { cli: 'functions/src/cli/index.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // Commands that need the Google clients load them in their own chunks, on demand.
  splitting: true,
  // Dependencies stay in node_modules: the CLI always runs from an install.
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
