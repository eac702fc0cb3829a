import { cpus, totalmem } from 'node:os';
import { benchAnalyze } from './analyze-vs-jq.js';
import { benchCheck } from './check-rules.js';
import { table } from './measure.js';

/**
 * `npm run bench`: timing goals live here, never in tests. Every figure is measured in this run,
 * side by side with its baseline, on this machine.
 */
const entries = Number(process.env['KFGUARD_BENCH_ENTRIES'] ?? 1_000_000);

async function main(): Promise<void> {
  console.log(`kfguard bench on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}\n`);
  const analyze = await benchAnalyze(entries);
  const check = await benchCheck(10_000);
  console.log(
    table([
      ['benchmark', 'kfguard', 'baseline', 'ratio', 'goal', 'peak RSS'],
      [
        `check ${check.rules.toLocaleString('en-US')} firewall rules, every required flow and webhook port`,
        `${check.seconds.toFixed(2)} s`,
        '-',
        '-',
        `< 1 s end to end: ${check.seconds < 1 ? 'met' : 'MISSED'}`,
        '-',
      ],
      [
        `analyze ${analyze.entries.toLocaleString('en-US')} entries (${analyze.megabytes.toFixed(0)} MB NDJSON)`,
        `${analyze.kfguardSeconds.toFixed(2)} s`,
        `jq select DENIED: ${analyze.jqSeconds.toFixed(2)} s`,
        `${analyze.ratio.toFixed(2)}× faster`,
        `> 1× and < 200 MB: ${analyze.ratio > 1 && analyze.peakRssMb < 200 ? 'met' : 'MISSED'}`,
        `${analyze.peakRssMb.toFixed(0)} MB`,
      ],
    ]),
  );
}

await main();
