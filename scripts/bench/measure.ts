import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';

export interface ProcessRun {
  seconds: number;
  /** Peak resident set (VmHWM) in MB, sampled from /proc while the process ran. */
  peakRssMb: number;
  exitCode: number;
  stdoutBytes: number;
}

async function highWaterMarkKb(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = status.match(/^VmHWM:\s+(\d+) kB/m);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Runs a command with stdout to a file (or discarded), timing it and sampling its peak RSS. */
export function measure(command: string, args: string[], options: { stdoutFile?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], env: options.env ?? process.env });
    let stdoutBytes = 0;
    const sink = options.stdoutFile ? createWriteStream(options.stdoutFile) : undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      sink?.write(chunk);
    });
    let peakKb = 0;
    const sample = async (): Promise<void> => {
      if (child.pid === undefined) return;
      const kb = await highWaterMarkKb(child.pid);
      if (kb !== undefined) peakKb = Math.max(peakKb, kb);
    };
    const timer = setInterval(() => void sample(), 20);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(timer);
      sink?.end();
      resolve({ seconds: Number(process.hrtime.bigint() - started) / 1e9, peakRssMb: peakKb / 1024, exitCode: code ?? -1, stdoutBytes });
    });
  });
}

export function table(rows: (string | number)[][]): string {
  const cells = rows.map((row) => row.map(String));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(cells[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}
