/** What the standard library and the interpreter need from the world outside one execution. */
import type { WValue } from './values.js';

export interface PublishedMessage {
  data: string;
  attributes?: Record<string, string>;
}

export interface LogEntry {
  severity: string;
  text?: string;
  json?: unknown;
  executionId: string;
}

/** The callback endpoints of one execution (see callbacks.ts for the HTTP side). */
export interface CallbackEndpoints {
  /** Returns the URL of a new endpoint that accepts `method`. */
  create(executionId: string, method: string): string;
  /**
   * The next request to `url` (already queued or yet to come) as the map events.await_callback
   * returns; undefined once `timeoutMs` passes. Rejects if the URL is not an endpoint of the execution.
   */
  next(executionId: string, url: string, timeoutMs: number, signal?: AbortSignal): Promise<WValue | undefined>;
}

export interface RuntimeServices {
  readonly executionId: string;
  readonly env: Readonly<Record<string, string>>;
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or rejects with ExecutionCancelled when the execution is cancelled. */
  sleep(ms: number): Promise<void>;
  log(entry: Omit<LogEntry, 'executionId'>): void;
  publish(topic: string, messages: PublishedMessage[]): Promise<string[]>;
  readonly callbacks?: CallbackEndpoints;
  readonly signal?: AbortSignal;
}
