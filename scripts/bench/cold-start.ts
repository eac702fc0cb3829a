import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CORPUS_DIR } from './analyze-vs-jq.js';

/** The least a Firestore-backed Cloud Function loads: the framework and the Firestore client. */
const BASELINE_SOURCE = `import functions from '@google-cloud/functions-framework';
import { Firestore } from '@google-cloud/firestore';
let db;
functions.cloudEvent('baseline', async (event) => {
  db ??= new Firestore();
  await db.collection('baseline').doc(event.id).create({ at: Date.now() });
});
`;

/** Imports one module in a fresh process and prints how long the import took, in milliseconds. */
const IMPORT_TIMER = `const started = performance.now(); await import(process.argv[1]); process.stdout.write(String(performance.now() - started));`;

export interface ColdStart {
  name: string;
  medianMs: number;
  ratio: number;
}

export interface ColdStartBench {
  runs: number;
  baselineMs: number;
  functions: ColdStart[];
}

function importMs(entry: string): number {
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', IMPORT_TIMER, pathToFileURL(entry).href], { encoding: 'utf8', env: { ...process.env, METADATA_SERVER_DETECTION: 'none' } });
  return Number(output);
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/**
 * Cold start as Cloud Functions pays it: a new process importing the function's bundle (what
 * `npm run build` wrote), against a baseline function that loads only functions-framework and
 * @google-cloud/firestore. Runs interleave so drift on the machine hits both alike.
 */
export function benchColdStart(runs: number, bundlesDir = 'build/functions'): ColdStartBench {
  const baselineDir = join(CORPUS_DIR, 'baseline-function');
  mkdirSync(baselineDir, { recursive: true });
  const baseline = resolve(baselineDir, 'index.mjs');
  writeFileSync(baseline, BASELINE_SOURCE);
  const manifest = JSON.parse(readFileSync(join(bundlesDir, 'manifest.json'), 'utf8')) as { functions: { name: string }[] };
  const entries = Object.fromEntries(manifest.functions.map(({ name }) => [name, resolve(bundlesDir, name, 'index.js')]));
  const samples: Record<string, number[]> = { baseline: [], ...Object.fromEntries(Object.keys(entries).map((name) => [name, []])) };
  // One warm-up each: the first import after a build also pays for the file cache.
  for (const entry of [baseline, ...Object.values(entries)]) importMs(entry);
  for (let run = 0; run < runs; run++) {
    samples['baseline']!.push(importMs(baseline));
    for (const [name, entry] of Object.entries(entries)) samples[name]!.push(importMs(entry));
  }
  const baselineMs = median(samples['baseline']!);
  return {
    runs,
    baselineMs,
    functions: Object.keys(entries).map((name) => {
      const medianMs = median(samples[name]!);
      return { name, medianMs, ratio: medianMs / baselineMs };
    }),
  };
}
