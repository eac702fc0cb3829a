import { readFile, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';

/** An input the user named that cannot be used: message says which and why. */
export class InputError extends Error {}

function describeFsError(path: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const reason =
    code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (error as Error).message;
  return `cannot read ${path}: ${reason}`;
}

export async function readTextFile(path: string, maxBytes = 64 * 1024 * 1024): Promise<string> {
  let buffer: Buffer;
  try {
    buffer = await readFile(path);
  } catch (error) {
    throw new InputError(describeFsError(path, error));
  }
  if (buffer.length > maxBytes) throw new InputError(`${path}: larger than ${maxBytes} bytes`);
  return buffer.toString('utf8');
}

export async function readJsonFile(path: string): Promise<unknown> {
  const text = await readTextFile(path);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InputError(`${path}: invalid JSON: ${(error as Error).message}`);
  }
}

/** Fails with the first path that cannot be opened, reading none: an error before any work, with no report beside it. */
export async function checkOpenable(paths: readonly string[]): Promise<void> {
  for (const path of paths) (await openInput(path)).destroy();
}

/** Opens a file for streaming, failing early (before any output) when it cannot be read. */
export async function openInput(path: string): Promise<Readable> {
  // Opening a folder succeeds; only the first read would fail, after output has begun.
  const isFolder = await stat(path).then(
    (status) => status.isDirectory(),
    () => false,
  );
  if (isFolder) throw new InputError(describeFsError(path, Object.assign(new Error('is a directory'), { code: 'EISDIR' })));
  const stream = createReadStream(path, { highWaterMark: 1024 * 1024 });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (error) => reject(new InputError(describeFsError(path, error))));
  });
  return stream;
}
