/**
 * Fake Workflow Executions API: google.cloud.workflows.executions.v1.Executions over gRPC, so the
 * real ExecutionsClient of @google-cloud/workflows creates, reads and lists executions of local
 * workflow definitions, run in the background by WorkflowRunner.
 */
import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { ProtoPackage, RpcError, startFakeServer } from '../fakes/grpc-protos.js';
import type { FakeServer, RecordedCall, WireMessage } from '../fakes/grpc-protos.js';
import { CallbackServer } from './callbacks.js';
import { JsonSyntaxError, parseJson, stringifyJson } from './json.js';
import { WorkflowRunner } from './runner.js';
import type { ExecutionResult, WorkflowConnectors } from './runner.js';
import type { WValue } from './values.js';

const EXECUTIONS_SERVICE = 'google.cloud.workflows.executions.v1.Executions';
const EXECUTION_TYPE = 'google.cloud.workflows.executions.v1.Execution';
const WORKFLOW_NAME = /^projects\/([^/]+)\/locations\/([^/]+)\/workflows\/([^/]+)$/;
const REVISION_ID = '000001-local';
const DEFAULT_PAGE_SIZE = 100;
const STOP_GRACE_MS = 5_000;

let executionsProtos: ProtoPackage | undefined;

/** Parsing executions.proto takes a while; every instance can share the result. */
function loadExecutionsProtos(): ProtoPackage {
  return (executionsProtos ??= ProtoPackage.load({ packageName: '@google-cloud/workflows', file: 'google/cloud/workflows/executions/v1/executions.proto' }));
}

export type ExecutionState = 'ACTIVE' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

/** An execution as tests see it: argument and result already parsed from their JSON strings. */
export interface ExecutionSnapshot {
  name: string;
  state: ExecutionState;
  argument: unknown;
  labels?: Record<string, string>;
  result?: unknown;
  error?: { payload: unknown; context: string };
  startTime: string;
  endTime?: string;
}

export interface FakeWorkflowsOptions {
  /** Workflow id (the last part of projects/P/locations/L/workflows/W) to its YAML source. */
  workflows: Record<string, string>;
  connectors: Omit<WorkflowConnectors, 'env'> & { env?: Record<string, string> };
  /** Base URL put into callback URLs instead of the callback server's own. */
  callbackBaseUrl?: string;
  log?: (line: string) => void;
  /** Loopback ports of the Executions API and of the callback endpoints (0 or absent: any free port). */
  port?: number;
  callbackPort?: number;
}

interface ExecutionRecord {
  readonly name: string;
  readonly parent: string;
  readonly argumentText: string;
  readonly callLogLevel?: string;
  readonly labels?: Record<string, string>;
  readonly startMs: number;
  readonly abort: AbortController;
  state: ExecutionState;
  endMs?: number;
  resultText?: string;
  error?: { payloadText: string; context: string; frames: { step: string; routine: string; line?: number }[] };
  done?: Promise<void>;
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString();
}

function parseWorkflowName(parent: unknown): { project: string; location: string; workflow: string } {
  const match = typeof parent === 'string' ? WORKFLOW_NAME.exec(parent) : null;
  if (match === null) throw new RpcError(status.INVALID_ARGUMENT, `parent must be projects/PROJECT/locations/LOCATION/workflows/WORKFLOW, got ${JSON.stringify(parent)}`);
  const [, project = '', location = '', workflow = ''] = match;
  return { project, location, workflow };
}

function parseArgument(text: string): WValue {
  if (text.trim() === '') return null;
  try {
    return parseJson(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw new RpcError(status.INVALID_ARGUMENT, `execution.argument is not valid JSON: ${error.message}`);
    throw error;
  }
}

/** Roughly the text Cloud Workflows puts into Execution.error.context. */
function errorContext(payloadText: string, frames: { step: string; routine: string; line?: number }[]): string {
  const where = frames.map((frame) => `in step "${frame.step}", routine "${frame.routine}"${frame.line === undefined ? '' : `, line: ${frame.line}`}`);
  return [`RuntimeError: ${payloadText}`, ...where].join('\n');
}

const LABEL_TERM = /^labels\.([a-z][a-z0-9_-]{0,62})\s*=\s*"([^"]*)"$/;

/**
 * The part of ListExecutions' AIP-160 filter the local stack needs: `labels.KEY="VALUE"` terms
 * joined by AND. Anything else is refused rather than ignored, so a passing run means something.
 */
function labelFilter(filter: string): (record: ExecutionRecord) => boolean {
  if (filter.trim() === '') return () => true;
  const terms = filter.trim().split(/\s+AND\s+/).map((term) => {
    const match = LABEL_TERM.exec(term.trim());
    if (match === null) throw new RpcError(status.INVALID_ARGUMENT, `fake Workflows supports only labels.KEY="VALUE" filter terms joined by AND, got ${JSON.stringify(filter)}`);
    return { key: match[1]!, value: match[2]! };
  });
  return (record) => terms.every((term) => record.labels?.[term.key] === term.value);
}

function jsonText(value: unknown): unknown {
  try {
    return JSON.parse(String(value));
  } catch {
    return value;
  }
}

export class FakeWorkflows {
  /** Every RPC the fake received, answered or not. */
  readonly calls: RecordedCall[] = [];
  private readonly records = new Map<string, ExecutionRecord>();
  /** Set to play a service that ignores list filter terms: kfguard must not trust a filter it cannot confirm. */
  private listFiltersIgnored = false;
  private server: FakeServer | undefined;
  private stopped: Promise<void> | undefined;

  private constructor(
    private readonly callbackServer: CallbackServer,
    private readonly runners: ReadonlyMap<string, WorkflowRunner>,
    private readonly protos: ProtoPackage,
    private readonly log: (line: string) => void,
  ) {}

  /** Compiles every workflow first: a WorkflowError in any of them rejects before a port is opened. */
  static async start(options: FakeWorkflowsOptions): Promise<FakeWorkflows> {
    const protos = loadExecutionsProtos();
    const connectors: WorkflowConnectors = { ...options.connectors, env: options.connectors.env ?? {} };
    const callbackServer = await CallbackServer.start({ ...(options.log === undefined ? {} : { log: options.log }), port: options.callbackPort ?? 0 });
    let fake: FakeWorkflows;
    try {
      const runnerOptions = { callbacks: callbackServer, ...(options.callbackBaseUrl === undefined ? {} : { callbackBaseUrl: options.callbackBaseUrl }) };
      const runners = new Map(Object.entries(options.workflows).map(([id, source]) => [id, new WorkflowRunner(source, connectors, runnerOptions)]));
      fake = new FakeWorkflows(callbackServer, runners, protos, options.log ?? (() => undefined));
      fake.server = await startFakeServer({
        label: 'fake Workflows',
        port: options.port,
        service: protos.service(EXECUTIONS_SERVICE),
        handlers: {
          CreateExecution: (request) => fake.create(request),
          GetExecution: (request) => fake.get(request),
          ListExecutions: (request) => fake.list(request),
          CancelExecution: (request) => fake.cancel(request),
        },
        calls: fake.calls,
      });
    } catch (error) {
      await callbackServer.stop();
      throw error;
    }
    return fake;
  }

  get port(): number {
    if (this.server === undefined) throw new Error('fake Workflows is not listening');
    return this.server.port;
  }

  /** Where callback URLs point: the local callback server. */
  get callbackBaseUrl(): string {
    return this.callbackServer.baseUrl;
  }

  /** The requests callback endpoints received. */
  get callbacks(): CallbackServer {
    return this.callbackServer;
  }

  /** From now on ListExecutions answers every execution of the workflow, whatever its filter says. */
  ignoreListFilters(ignored: boolean): void {
    this.listFiltersIgnored = ignored;
  }

  executions(): ExecutionSnapshot[] {
    return [...this.records.values()].map((record) => this.snapshot(record));
  }

  /** Resolves once the execution has finished; rejects after `timeoutMs`. */
  async waitForExecution(name: string, timeoutMs: number): Promise<ExecutionSnapshot> {
    const record = this.records.get(name);
    if (record === undefined) throw new Error(`no execution named ${name}`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`execution ${name} still ${record.state} after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([record.done, timeout]);
    } finally {
      clearTimeout(timer);
    }
    return this.snapshot(record);
  }

  /** Cancels running executions, then closes the gRPC and callback servers. */
  stop(): Promise<void> {
    this.stopped ??= this.shutDown();
    return this.stopped;
  }

  private async shutDown(): Promise<void> {
    const running = [...this.records.values()].filter((record) => record.state === 'ACTIVE');
    for (const record of running) record.abort.abort();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, STOP_GRACE_MS);
      timer.unref();
    });
    await Promise.race([Promise.all(running.map((record) => record.done)), grace]);
    clearTimeout(timer);
    await Promise.all([this.server?.stop(), this.callbackServer.stop()]);
  }

  private create(request: WireMessage): WireMessage {
    const { project, location, workflow } = parseWorkflowName(request['parent']);
    const runner = this.runners.get(workflow);
    if (runner === undefined) throw new RpcError(status.NOT_FOUND, `Resource '${String(request['parent'])}' was not found`);
    const execution = (request['execution'] ?? {}) as WireMessage;
    const argumentText = typeof execution['argument'] === 'string' ? execution['argument'] : '';
    const argument = parseArgument(argumentText);
    const executionId = randomUUID();
    const record: ExecutionRecord = {
      name: `${String(request['parent'])}/executions/${executionId}`,
      parent: String(request['parent']),
      argumentText,
      startMs: Date.now(),
      abort: new AbortController(),
      state: 'ACTIVE',
      ...(typeof execution['callLogLevel'] === 'string' ? { callLogLevel: execution['callLogLevel'] } : {}),
      ...(execution['labels'] === undefined ? {} : { labels: execution['labels'] as Record<string, string> }),
    };
    this.records.set(record.name, record);
    const env = { GOOGLE_CLOUD_PROJECT_ID: project, GOOGLE_CLOUD_LOCATION: location, GOOGLE_CLOUD_WORKFLOW_ID: workflow, GOOGLE_CLOUD_WORKFLOW_REVISION_ID: REVISION_ID };
    record.done = runner
      .runValue(argument, executionId, { signal: record.abort.signal, env })
      .then((result) => this.finish(record, result))
      .catch((error: unknown) => this.finish(record, { state: 'FAILED', error: { message: String(error), payload: String(error) } }));
    return this.toWire(record, 'FULL');
  }

  private finish(record: ExecutionRecord, result: ExecutionResult): void {
    if (record.state === 'CANCELLED') return;
    record.state = result.state;
    record.endMs = Date.now();
    if (result.state === 'SUCCEEDED') record.resultText = stringifyJson(result.value ?? null);
    else if (result.state === 'FAILED') {
      const payloadText = result.errorValue === undefined ? JSON.stringify(result.error?.payload ?? null) : stringifyJson(result.errorValue);
      const frames = (result.trace ?? []).map((frame) => ({ step: frame.step, routine: frame.routine, ...(frame.line === undefined ? {} : { line: frame.line }) }));
      record.error = { payloadText, context: errorContext(payloadText, frames), frames };
    }
    this.log(`fake Workflows: ${record.name} ${record.state}`);
  }

  private get(request: WireMessage): WireMessage {
    return this.toWire(this.recordNamed(request['name']), request['view'] === 'BASIC' ? 'BASIC' : 'FULL');
  }

  private list(request: WireMessage): WireMessage {
    parseWorkflowName(request['parent']);
    const filter = this.listFiltersIgnored ? () => true : labelFilter(typeof request['filter'] === 'string' ? request['filter'] : '');
    const matching = [...this.records.values()].filter((record) => record.parent === request['parent'] && filter(record)).sort((a, b) => b.startMs - a.startMs);
    const pageSize = Number(request['pageSize'] ?? 0) > 0 ? Number(request['pageSize']) : DEFAULT_PAGE_SIZE;
    const offset = typeof request['pageToken'] === 'string' && request['pageToken'] !== '' ? Number(request['pageToken']) : 0;
    if (!Number.isInteger(offset) || offset < 0) throw new RpcError(status.INVALID_ARGUMENT, 'invalid page_token');
    const page = matching.slice(offset, offset + pageSize);
    const view = request['view'] === 'FULL' ? 'FULL' : 'BASIC';
    const more = offset + pageSize < matching.length;
    return { executions: page.map((record) => this.toWire(record, view)), ...(more ? { nextPageToken: String(offset + pageSize) } : {}) };
  }

  private cancel(request: WireMessage): WireMessage {
    const record = this.recordNamed(request['name']);
    if (record.state !== 'ACTIVE') throw new RpcError(status.FAILED_PRECONDITION, `execution ${record.name} is already ${record.state}`);
    record.abort.abort();
    record.state = 'CANCELLED';
    record.endMs = Date.now();
    return this.toWire(record, 'FULL');
  }

  private recordNamed(name: unknown): ExecutionRecord {
    const record = typeof name === 'string' ? this.records.get(name) : undefined;
    if (record === undefined) throw new RpcError(status.NOT_FOUND, `Resource '${String(name)}' was not found`);
    return record;
  }

  private toWire(record: ExecutionRecord, view: 'BASIC' | 'FULL'): WireMessage {
    const basic: Record<string, unknown> = {
      name: record.name,
      state: record.state,
      startTime: rfc3339(record.startMs),
      workflowRevisionId: REVISION_ID,
      ...(record.endMs === undefined ? {} : { endTime: rfc3339(record.endMs), duration: `${((record.endMs - record.startMs) / 1000).toFixed(3)}s` }),
    };
    const full =
      view === 'BASIC'
        ? basic
        : {
            ...basic,
            argument: record.argumentText,
            ...(record.callLogLevel === undefined ? {} : { callLogLevel: record.callLogLevel }),
            ...(record.labels === undefined ? {} : { labels: record.labels }),
            ...(record.resultText === undefined ? {} : { result: record.resultText }),
            ...(record.error === undefined ? {} : { error: this.errorWire(record.error) }),
          };
    return this.protos.toWire(EXECUTION_TYPE, full);
  }

  private errorWire(error: NonNullable<ExecutionRecord['error']>): Record<string, unknown> {
    const elements = error.frames.map((frame) => ({ step: frame.step, routine: frame.routine, position: { line: String(frame.line ?? 0), column: '1', length: '0' } }));
    return { payload: error.payloadText, context: error.context, stackTrace: { elements } };
  }

  private snapshot(record: ExecutionRecord): ExecutionSnapshot {
    return {
      name: record.name,
      state: record.state,
      argument: jsonText(record.argumentText === '' ? 'null' : record.argumentText),
      ...(record.labels === undefined ? {} : { labels: record.labels }),
      startTime: rfc3339(record.startMs),
      ...(record.endMs === undefined ? {} : { endTime: rfc3339(record.endMs) }),
      ...(record.resultText === undefined ? {} : { result: jsonText(record.resultText) }),
      ...(record.error === undefined ? {} : { error: { payload: jsonText(record.error.payloadText), context: record.error.context } }),
    };
  }
}
