/**
 * Runs a Cloud Workflows definition locally, with the semantics Google documents, so that the YAML
 * deployed to production is the YAML exercised by local runs. The whole definition is compiled and
 * checked in the constructor: an unsupported construct fails there, before anything executes.
 */
import { randomUUID } from 'node:crypto';
import { CallbackServer } from './callbacks.js';
import type { CallbackServerOptions } from './callbacks.js';
import { compileProgram } from './definition.js';
import { ExecutionCancelled, messageOf, RaisedError, WorkflowError } from './errors.js';
import type { TraceFrame } from './errors.js';
import { Interpreter } from './interpreter.js';
import type { Program } from './program.js';
import type { CallbackEndpoints, LogEntry, PublishedMessage, RuntimeServices } from './services.js';
import { fromJs, isList, isMap, mapOf, toJs } from './values.js';
import type { WValue } from './values.js';

export { CallbackServer } from './callbacks.js';
export type { CallbackServerOptions, ReceivedCallback } from './callbacks.js';
export { WorkflowError } from './errors.js';

export interface WorkflowConnectors {
  /** googleapis.pubsub.v1.projects.topics.publish: `topic` is projects/P/topics/T, data is base64; resolves to the message ids. */
  publish(topic: string, messages: PublishedMessage[]): Promise<string[]>;
  log?(entry: LogEntry): void;
  /** What sys.get_env returns; the runner adds GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID per execution. */
  env: Record<string, string>;
  /** Milliseconds since the epoch; tests pass a fixed clock. */
  now?(): number;
  /** Used by sys.sleep and retry backoff; tests pass a fast one that records the delays. */
  sleep?(ms: number): Promise<void>;
}

export interface ExecutionError {
  message: string;
  payload: unknown;
  /** Innermost first, one entry per routine: `routine.step (line N)`. */
  stackTrace?: string[];
}

export interface ExecutionResult {
  state: 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  result?: unknown;
  error?: ExecutionError;
  /** The result as a workflow value (ints as bigint), for callers that serialize it exactly. */
  value?: WValue;
  /** The raised value, for the same reason. */
  errorValue?: WValue;
  /** Where the uncaught error passed, innermost first. */
  trace?: TraceFrame[];
}

export interface WorkflowRunnerOptions {
  /** Needed when the workflow uses callbacks; see WorkflowRunner.startCallbacks. */
  callbacks?: CallbackServer;
  /** Base URL put into callback URLs instead of the server's own, e.g. one reachable from containers. */
  callbackBaseUrl?: string;
}

export interface RunOptions {
  /** Aborting cancels the execution: it stops before its next step or wait and reports CANCELLED. */
  signal?: AbortSignal;
  /** Environment variables for this execution only, on top of connectors.env. */
  env?: Record<string, string>;
}

/** A timer sleep whose timer is cleared, not left running, when the execution is cancelled. */
function timerSleep(signal: AbortSignal | undefined): (ms: number) => Promise<void> {
  return (ms) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted === true) return reject(new ExecutionCancelled());
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(new ExecutionCancelled());
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
}

/** Sleeps that end early, with ExecutionCancelled, when the execution is cancelled. */
function cancellableSleep(sleep: (ms: number) => Promise<void>, signal: AbortSignal | undefined): (ms: number) => Promise<void> {
  if (signal === undefined) return sleep;
  return (ms) => {
    if (signal.aborted) return Promise.reject(new ExecutionCancelled());
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(new ExecutionCancelled());
      signal.addEventListener('abort', onAbort, { once: true });
      sleep(ms).then(
        () => (signal.removeEventListener('abort', onAbort), resolve()),
        (error: unknown) => (signal.removeEventListener('abort', onAbort), reject(error instanceof Error ? error : new Error(String(error)))),
      );
    });
  };
}

function rebased(callbacks: CallbackServer, baseUrl: string | undefined): CallbackEndpoints {
  if (baseUrl === undefined) return callbacks;
  return {
    create: (executionId, method) => {
      const created = new URL(callbacks.create(executionId, method));
      return `${baseUrl.replace(/\/$/, '')}${created.pathname}`;
    },
    next: (executionId, url, timeoutMs, signal) => callbacks.next(executionId, url, timeoutMs, signal),
  };
}

/** Results must be JSON: bytes and non-finite doubles cannot be returned. */
function unreturnable(value: WValue): string | undefined {
  if (value instanceof Uint8Array) return 'bytes cannot be returned by a workflow; encode them with base64.encode';
  if (typeof value === 'number' && !Number.isFinite(value)) return `${value} cannot be returned by a workflow, as JSON has no such number`;
  const items = isList(value) ? value : isMap(value) ? [...value.values()] : [];
  for (const item of items) {
    const problem = unreturnable(item);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function describeFrame(frame: TraceFrame): string {
  return `${frame.routine}.${frame.step}${frame.line === undefined ? '' : ` (line ${frame.line})`}`;
}

function failure(value: WValue, trace: TraceFrame[]): ExecutionResult {
  return {
    state: 'FAILED',
    error: { message: messageOf(value), payload: toJs(value), ...(trace.length === 0 ? {} : { stackTrace: trace.map(describeFrame) }) },
    errorValue: value,
    trace,
  };
}

export class WorkflowRunner {
  private readonly program: Program;
  private readonly callbackServer: CallbackServer | undefined;
  private readonly callbacks: CallbackEndpoints | undefined;

  constructor(
    source: string,
    private readonly connectors: WorkflowConnectors,
    options: WorkflowRunnerOptions = {},
  ) {
    this.program = compileProgram(source);
    if (this.program.usesCallbacks && options.callbacks === undefined) {
      throw new WorkflowError('this workflow uses callback endpoints; pass options.callbacks (from WorkflowRunner.startCallbacks())');
    }
    this.callbackServer = options.callbacks;
    this.callbacks = options.callbacks === undefined ? undefined : rebased(options.callbacks, options.callbackBaseUrl);
  }

  /** Starts the HTTP server behind callback endpoints; stop() it when done. */
  static startCallbacks(options?: CallbackServerOptions): Promise<CallbackServer> {
    return CallbackServer.start(options);
  }

  /** Runs main with `argument` (plain JS: integral numbers become ints); never rejects for workflow errors. */
  run(argument: unknown, executionId: string = randomUUID(), options: RunOptions = {}): Promise<ExecutionResult> {
    return this.runValue(fromJs(argument, 'argument'), executionId, options);
  }

  /** Like run, for an argument that is already a workflow value (e.g. parsed with parseJson, keeping 1.0 a double). */
  async runValue(argument: WValue, executionId: string = randomUUID(), options: RunOptions = {}): Promise<ExecutionResult> {
    const services = this.services(executionId, options);
    try {
      const value = await new Interpreter(this.program, services).runMain(argument);
      const problem = unreturnable(value);
      if (problem !== undefined) return failure(mapOf({ message: problem, tags: ['TypeError'] }), []);
      return { state: 'SUCCEEDED', result: toJs(value), value };
    } catch (error) {
      if (error instanceof RaisedError) return failure(error.value, error.trace);
      if (error instanceof ExecutionCancelled) return { state: 'CANCELLED', error: { message: 'execution cancelled', payload: null } };
      const message = `internal error in the local workflow runner: ${error instanceof Error ? error.message : String(error)}`;
      return failure(mapOf({ message, tags: ['SystemError'] }), []);
    } finally {
      this.callbackServer?.closeExecution(executionId);
    }
  }

  private services(executionId: string, { signal, env }: RunOptions): RuntimeServices {
    const connectors = this.connectors;
    return {
      executionId,
      env: { ...connectors.env, ...env, GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID: executionId },
      now: () => (connectors.now === undefined ? Date.now() : connectors.now()),
      sleep: connectors.sleep === undefined ? timerSleep(signal) : cancellableSleep((ms) => connectors.sleep?.(ms) ?? Promise.resolve(), signal),
      log: (entry) => connectors.log?.({ ...entry, executionId }),
      publish: (topic, messages) => connectors.publish(topic, messages),
      ...(this.callbacks === undefined ? {} : { callbacks: this.callbacks }),
      ...(signal === undefined ? {} : { signal }),
    };
  }
}
