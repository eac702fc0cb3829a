import { stat } from 'node:fs/promises';
import type { Analyzer } from '../core/analyze/analyzer.js';
import { InputError, openInput } from '../adapters/input/files.js';
import { readLogStream } from '../adapters/input/log-reader.js';
import { write, type CliIo } from './io.js';
import { ProgressBar } from './progress.js';

async function totalSize(files: string[]): Promise<number | undefined> {
  if (files.some((file) => file === '-')) return undefined;
  const sizes = await Promise.all(files.map((file) => stat(file).then((s) => s.size, () => 0)));
  return sizes.reduce((a, b) => a + b, 0);
}

/**
 * Streams log files (`-` for stdin) into the analyzer, with a progress bar on a terminal. A file
 * that cannot be read is named on stderr and the others are still read; returns whether one was.
 */
export async function readLogFiles(analyzer: Analyzer, files: string[], io: CliIo, label: string): Promise<{ unreadable: boolean }> {
  const progress = new ProgressBar(io.stderr, io.stderrIsTTY, await totalSize(files), label);
  const sink = {
    entry: (value: unknown, source: string) => analyzer.addEntry(value, source),
    reject: (source: string, reason: string) => analyzer.reject(source, reason),
  };
  let unreadable = false;
  for (const file of files) {
    try {
      const stream = file === '-' ? io.stdin : await openInput(file);
      await readLogStream(stream, file === '-' ? 'stdin' : file, sink, { onBytes: (bytes) => progress.advance(bytes, analyzer.stats.entries) });
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      unreadable = true;
      await write(io.stderr, `kfguard: ${error.message}\n`);
    }
  }
  progress.finish();
  return { unreadable };
}
