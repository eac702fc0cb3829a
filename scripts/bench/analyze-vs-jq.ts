import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { CORPUS_CLUSTER, corpusEntries } from '../../functions/src/dev/corpus.js';
import { measure } from './measure.js';

export const CORPUS_DIR = 'bench/out';

/** Writes the NDJSON corpus once per size; later runs reuse it. */
export async function ensureCorpus(entries: number): Promise<string> {
  mkdirSync(CORPUS_DIR, { recursive: true });
  const path = `${CORPUS_DIR}/corpus-${entries}.ndjson`;
  if (existsSync(path)) return path;
  const out = createWriteStream(`${path}.tmp`);
  let buffer = '';
  for (const entry of corpusEntries({ entries })) {
    buffer += `${JSON.stringify(entry)}\n`;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.end(buffer);
  await once(out, 'finish');
  execFileSync('mv', [`${path}.tmp`, path]);
  return path;
}

function ensureJq(): string {
  const found = spawnSync('sh', ['-c', 'command -v jq'], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  console.error('bench: jq not found, installing it with apt-get');
  execFileSync('sh', ['-c', '(apt-get update -qq && apt-get install -y -qq jq) >/dev/null 2>&1 || sudo -n apt-get install -y -qq jq'], { stdio: 'inherit' });
  return 'jq';
}

export interface AnalyzeBench {
  entries: number;
  megabytes: number;
  kfguardSeconds: number;
  jqSeconds: number;
  ratio: number;
  peakRssMb: number;
}

export async function benchAnalyze(entries: number): Promise<AnalyzeBench> {
  const corpus = await ensureCorpus(entries);
  const jq = ensureJq();
  const flags = ['--master-cidr', CORPUS_CLUSTER.masterCidr, '--node-cidr', CORPUS_CLUSTER.nodeCidr, '--pod-cidr', CORPUS_CLUSTER.podCidr, '--service-cidr', CORPUS_CLUSTER.serviceCidr];
  const kfguard = await measure(process.execPath, ['bin/kfguard.js', 'analyze', corpus, '--format', 'json', '--fail-on', 'none', ...flags]);
  if (kfguard.exitCode !== 0) throw new Error(`kfguard analyze exited ${kfguard.exitCode}`);
  const jqRun = await measure(jq, ['-c', 'select(.jsonPayload.disposition=="DENIED")', corpus]);
  if (jqRun.exitCode !== 0) throw new Error(`jq exited ${jqRun.exitCode}`);
  return {
    entries,
    megabytes: statSync(corpus).size / 1024 / 1024,
    kfguardSeconds: kfguard.seconds,
    jqSeconds: jqRun.seconds,
    ratio: jqRun.seconds / kfguard.seconds,
    peakRssMb: kfguard.peakRssMb,
  };
}
