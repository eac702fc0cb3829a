import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { benchAnalyze, CORPUS_DIR } from './analyze-vs-jq.js';
import { benchCheck, benchPlan } from './check-rules.js';
import { benchColdStart } from './cold-start.js';
import { benchPipeline } from './pipeline.js';
import { table } from './measure.js';

/**
 * `npm run bench`: timing goals live here, never in tests. Every figure is measured in this run,
 * side by side with its baseline, on this machine, and saved to bench/out/results.json.
 */
const entries = Number(process.env['KFGUARD_BENCH_ENTRIES'] ?? 1_000_000);
const pipelineEvents = Number(process.env['KFGUARD_BENCH_EVENTS'] ?? 5_000);
const coldStartRuns = Number(process.env['KFGUARD_BENCH_COLD_RUNS'] ?? 21);

const verdict = (met: boolean): string => (met ? 'met' : 'MISSED');

const BENCHMARKS = ['cold-start', 'analyze', 'pipeline', 'check', 'plan'] as const;
type Benchmark = (typeof BENCHMARKS)[number];

/** `npm run bench -- --only check`: one benchmark alone (repeatable); all of them by default. */
function selected(argv: readonly string[]): Set<Benchmark> {
  const only = argv.flatMap((arg, index) => (arg === '--only' ? [argv[index + 1] ?? ''] : arg.startsWith('--only=') ? [arg.slice('--only='.length)] : []));
  for (const name of only) if (!(BENCHMARKS as readonly string[]).includes(name)) throw new Error(`--only: "${name}" is not one of ${BENCHMARKS.join(', ')}`);
  return new Set(only.length > 0 ? (only as Benchmark[]) : BENCHMARKS);
}

type Row = string[];

async function main(): Promise<void> {
  const run = selected(process.argv.slice(2));
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`;
  console.log(`kfguard bench on ${machine}\n`);
  // Cold starts first, on a quiet machine: the other benchmarks leave gigabytes in the page cache and warm heaps behind.
  const coldStart = run.has('cold-start') ? benchColdStart(coldStartRuns) : undefined;
  const analyze = run.has('analyze') ? await benchAnalyze(entries) : undefined;
  const pipeline = run.has('pipeline') ? await benchPipeline(pipelineEvents) : undefined;
  const check = run.has('check') ? await benchCheck(10_000) : undefined;
  const plan = run.has('plan') ? await benchPlan(10_000) : undefined;
  const logSink = coldStart?.functions.find((fn) => fn.name === 'logSink');
  const rows: Row[] = [];
  if (analyze) {
    rows.push([
      `analyze ${analyze.entries.toLocaleString('en-US')} entries (${analyze.megabytes.toFixed(0)} MB NDJSON)`,
      `${analyze.kfguardSeconds.toFixed(2)} s, peak RSS ${analyze.peakRssMb.toFixed(0)} MB`,
      `jq select DENIED: ${analyze.jqSeconds.toFixed(2)} s`,
      `${analyze.ratio.toFixed(2)}× faster`,
      `faster than jq, RSS < 200 MB: ${verdict(analyze.ratio > 1 && analyze.peakRssMb < 200)}`,
    ]);
  }
  if (pipeline) {
    rows.push([
      `pipeline: ${pipeline.events.toLocaleString('en-US')} sink events, Pub/Sub → logSink → Firestore`,
      `${pipeline.eventsPerSecond.toFixed(0)} events/s (${pipeline.seconds.toFixed(1)} s, ${pipeline.findings} findings)`,
      '-',
      `${pipeline.commitsPerEvent.toFixed(2)} commits per recorded event (+${pipeline.retriedCommitsPerEvent.toFixed(3)} refused and retried)`,
      `one commit per new event: ${verdict(Math.abs(pipeline.commitsPerEvent - 1) < 1e-9)}`,
    ]);
  }
  for (const fn of coldStart?.functions ?? []) {
    rows.push([
      `cold start: import ${fn.name} bundle (median of ${coldStart!.runs})`,
      `${fn.medianMs.toFixed(0)} ms`,
      `functions-framework + Firestore: ${coldStart!.baselineMs.toFixed(0)} ms`,
      `${fn.ratio.toFixed(2)}×`,
      fn.name === 'logSink' ? `≤ 1.2×: ${verdict(fn.ratio <= 1.2)}` : '-',
    ]);
  }
  if (check) {
    rows.push([
      `check ${check.rules.toLocaleString('en-US')} VPC and firewall policy rules, every required flow and webhook port`,
      `${check.seconds.toFixed(2)} s end to end (${check.findings} findings)`,
      `kfguard --version: ${check.startSeconds.toFixed(2)} s`,
      '-',
      `< 1 s end to end: ${verdict(check.seconds < 1)}`,
    ]);
  }
  if (plan) {
    rows.push([
      `plan on the same ${plan.rules.toLocaleString('en-US')} VPC rules: the checks, the plan, the checks again with it applied`,
      `${plan.seconds.toFixed(2)} s end to end (${plan.changes} changes fix ${plan.fixes} findings, verified: ${plan.verified})`,
      '-',
      '-',
      `< 2 s end to end, verified: ${verdict(plan.seconds < 2 && plan.verified)}`,
    ]);
  }
  console.log(table([['benchmark', 'kfguard', 'baseline', 'ratio', 'goal'], ...rows]));
  writeFileSync(`${CORPUS_DIR}/results.json`, `${JSON.stringify({ at: new Date().toISOString(), machine, analyze, pipeline, coldStart, check, plan, logSinkColdStartRatio: logSink?.ratio }, null, 2)}\n`);
}

await main();
