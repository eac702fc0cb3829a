import type { Writable } from 'node:stream';

const REDRAW_MS = 200;
const SHOW_AFTER_MS = 1000;

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

/** A one-line progress bar on stderr, for terminals only and only once a run lasts over a second. */
export class ProgressBar {
  private readonly started = Date.now();
  private lastDraw = 0;
  private drawn = false;
  private bytes = 0;

  constructor(
    private readonly stream: Writable,
    private readonly enabled: boolean,
    private readonly totalBytes: number | undefined,
    private readonly label: string,
  ) {}

  advance(bytes: number, entries: number): void {
    this.bytes += bytes;
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.started < SHOW_AFTER_MS || now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    this.drawn = true;
    const total = this.totalBytes;
    const bar = total
      ? (() => {
          const ratio = Math.min(1, this.bytes / total);
          const filled = Math.round(ratio * 30);
          return `[${'#'.repeat(filled)}${'.'.repeat(30 - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}% ${megabytes(this.bytes)}/${megabytes(total)}`;
        })()
      : megabytes(this.bytes);
    this.stream.write(`\r${this.label} ${bar} ${entries.toLocaleString('en-US')} entries`);
  }

  finish(): void {
    if (this.drawn) this.stream.write('\r\u001b[2K');
  }
}
