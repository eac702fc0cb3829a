import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PassThrough, Readable } from 'node:stream';
import { run } from '../../functions/src/cli/main.js';
import type { CliIo } from '../../functions/src/cli/io.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return () => Buffer.concat(chunks).toString('utf8');
}

/** Runs the real CLI in this process with captured streams; `terminalColumns` makes stdout a terminal that wide. */
export async function runCli(args: string[], options: { stdin?: string | Buffer; cwd?: string; env?: NodeJS.ProcessEnv; terminalColumns?: number } = {}): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = collect(stdout);
  const err = collect(stderr);
  const io: CliIo = {
    stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
    stdout,
    stderr,
    stdoutIsTTY: options.terminalColumns !== undefined,
    stderrIsTTY: false,
    stdoutColumns: options.terminalColumns,
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    untilInterrupted: () => new Promise(() => undefined),
  };
  const code = await run(args, io);
  return { code, stdout: out(), stderr: err() };
}

/** Runs bin/kfguard.js as a user would, for what only a real process shows (stdin, exit status). */
export function runBin(args: string[], stdin?: string | Buffer): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/kfguard.js', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    child.stdin.end(stdin ?? '');
  });
}

/** A long-running `kfguard` process (dev up, demo) whose output the test can wait on. */
export interface RunningBin {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stderr, or rejects after `timeoutMs`. */
  waitForStderr(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code, or rejects after `timeoutMs`. */
  exited(timeoutMs: number): Promise<number>;
}

const BIN = fileURLToPath(new URL('../../bin/kfguard.js', import.meta.url));

export function spawnBin(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): RunningBin {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr!.on('data', (chunk: Buffer) => err.push(chunk));
  const exit = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : -1))));
  const stderr = () => Buffer.concat(err).toString();
  const within = <T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what} within ${timeoutMs} ms; stderr so far:\n${stderr()}`)), timeoutMs);
      promise.then(
        (value) => (clearTimeout(timer), resolve(value)),
        (error: unknown) => (clearTimeout(timer), reject(error)),
      );
    });
  return {
    child,
    stdout: () => Buffer.concat(out).toString(),
    stderr,
    waitForStderr: (pattern, timeoutMs) =>
      within(
        new Promise<RegExpMatchArray>((resolve, reject) => {
          const look = () => {
            const match = stderr().match(pattern);
            if (match) {
              child.stderr!.off('data', look);
              resolve(match);
            }
          };
          child.stderr!.on('data', look);
          void exit.then(() => reject(new Error(`kfguard exited before printing ${pattern}:\n${stderr()}`)));
          look();
        }),
        timeoutMs,
        `no ${pattern}`,
      ),
    exited: (timeoutMs) => within(exit, timeoutMs, 'kfguard did not exit'),
  };
}
