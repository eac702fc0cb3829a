/**
 * The two kinds of failure of the local runner: a definition the runner refuses before running
 * anything (WorkflowError), and an error raised inside a running workflow (RaisedError), which
 * try/except can catch, exactly like an error map in Cloud Workflows.
 */
import { isMap, mapOf } from './values.js';
import type { WValue } from './values.js';

/** Where in the YAML source something is: `main > init > loop`, line 12. */
export interface SourceLocation {
  readonly path: string;
  readonly line?: number;
}

export function describeLocation(location: SourceLocation): string {
  return location.line === undefined ? location.path : `${location.path} (line ${location.line})`;
}

/** The definition uses something the runner does not support, or is malformed. */
export class WorkflowError extends Error {
  constructor(
    message: string,
    readonly location?: SourceLocation,
  ) {
    super(location === undefined ? message : `${describeLocation(location)}: ${message}`);
    this.name = 'WorkflowError';
  }
}

/** The tags Cloud Workflows documents for the errors its runtime raises. */
export type ErrorTag =
  | 'HttpError'
  | 'IndexError'
  | 'KeyError'
  | 'RecursionError'
  | 'ResourceLimitError'
  | 'SystemError'
  | 'TimeoutError'
  | 'TypeError'
  | 'ValueError'
  | 'ZeroDivisionError';

/** One frame of an execution's stack trace: the innermost step of one routine. */
export interface TraceFrame {
  readonly routine: string;
  readonly step: string;
  readonly line?: number;
}

/** A raised workflow value travelling up the steps until an except block or the execution catches it. */
export class RaisedError extends Error {
  readonly trace: TraceFrame[] = [];

  constructor(readonly value: WValue) {
    super(messageOf(value));
    this.name = 'RaisedError';
  }

  /** Records where the error passed, once per routine, innermost first. */
  passThrough(frame: TraceFrame): void {
    if (this.trace.at(-1)?.routine !== frame.routine) this.trace.push(frame);
  }
}

/** The execution was cancelled: not an error map, so no except block sees it. */
export class ExecutionCancelled extends Error {
  constructor() {
    super('execution cancelled');
    this.name = 'ExecutionCancelled';
  }
}

export function messageOf(value: WValue): string {
  if (typeof value === 'string') return value;
  if (isMap(value)) {
    const message = value.get('message');
    if (typeof message === 'string') return message;
  }
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? Number(item) : item instanceof Map ? Object.fromEntries(item) : item));
}

/** An error map the way the runtime builds them: `{message, tags}` plus extra fields such as `code`. */
export function errorMap(tag: ErrorTag, message: string, extra: Record<string, WValue> = {}): WValue {
  return mapOf({ message, tags: [tag], ...extra });
}

export function raise(tag: ErrorTag, message: string, extra: Record<string, WValue> = {}): never {
  throw new RaisedError(errorMap(tag, message, extra));
}
