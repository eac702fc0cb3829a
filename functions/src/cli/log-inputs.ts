import { stat } from 'node:fs/promises';
import type { Analyzer } from '../core/analyze/analyzer.js';
import { openInput } from '../adapters/input/files.js';
import { readLogStream } from '../adapters/input/log-reader.js';
import type { CliIo } from './io.js';
import { ProgressBar } from './progress.js';

async function totalSize(files: string[]): Promise<number | undefined> {
  if (files.some((file) => file === '-')) return undefined;
  const sizes = await Promise.all(files.map((file) => stat(file).then((s) => s.size, () => 0)));
  return sizes.reduce((a, b) => a + b, 0);
}

/** Streams log files (`-` for stdin) into the analyzer, with a progress bar on a terminal; check they open first (`checkOpenable`). */
export async function readLogFiles(analyzer: Analyzer, files: string[], io: CliIo, label: string): Promise<void> {
  const progress = new ProgressBar(io.stderr, io.stderrIsTTY, await totalSize(files), label);
  const sink = {
    entry: (value: unknown, source: string) => analyzer.addEntry(value, source),
    reject: (source: string, reason: string) => analyzer.reject(source, reason),
  };
  for (const file of files) {
    const stream = file === '-' ? io.stdin : await openInput(file);
    await readLogStream(stream, file === '-' ? 'stdin' : file, sink, { onBytes: (bytes) => progress.advance(bytes, analyzer.stats.entries) });
  }
  progress.finish();
}
