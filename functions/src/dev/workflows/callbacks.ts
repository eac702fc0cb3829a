/**
 * The HTTP side of events.create_callback_endpoint / events.await_callback: a small server on
 * 127.0.0.1 whose endpoints `/callbacks/<executionId>/<callbackId>` stand in for the
 * workflowexecutions.googleapis.com callback URLs. As in Cloud Workflows, a request that arrives
 * before the workflow awaits it is queued; a request for an unknown or finished execution gets 404.
 * Bearer tokens are accepted without validation and recorded, so tests can check they were sent.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { ExecutionCancelled, raise } from './errors.js';
import { JsonSyntaxError, parseJson } from './json.js';
import type { CallbackEndpoints } from './services.js';
import { mapOf, toJs } from './values.js';
import type { WValue } from './values.js';
import { listenOnLoopback } from '../listen.js';

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_QUEUED_PER_ENDPOINT = 100;
/** setTimeout cannot wait longer than 2^31-1 ms; longer waits are clamped. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const PATH = /^\/callbacks\/([^/]+)\/([^/]+)\/?$/;

/** A request the server accepted, as tests see it. */
export interface ReceivedCallback {
  readonly executionId: string;
  readonly callbackId: string;
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
  /** The token of an `Authorization: Bearer` header; accepted without validation. */
  readonly bearerToken?: string;
  readonly receivedTime: string;
}

interface Endpoint {
  readonly executionId: string;
  readonly callbackId: string;
  readonly method: string;
  readonly queue: WValue[];
  waiter?: (request: WValue) => void;
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface CallbackServerOptions {
  readonly log?: (line: string) => void;
  readonly port?: number;
}

export class CallbackServer implements CallbackEndpoints {
  /** Every request delivered to an endpoint, oldest first. */
  readonly received: ReceivedCallback[] = [];
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly pending = new Set<{ reject(error: Error): void }>();
  private stopped: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly log: (line: string) => void,
  ) {}

  static async start(options: CallbackServerOptions = {}): Promise<CallbackServer> {
    const server = createServer();
    const port = await listenOnLoopback(server, options.port, 'Workflows callback endpoints');
    const callbacks = new CallbackServer(server, port, options.log ?? (() => undefined));
    server.on('request', (request: IncomingMessage, response: ServerResponse) => void callbacks.handle(request, response));
    return callbacks;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  create(executionId: string, method: string): string {
    const callbackId = randomUUID();
    this.endpoints.set(endpointKey(executionId, callbackId), { executionId, callbackId, method, queue: [] });
    return `${this.baseUrl}/callbacks/${encodeURIComponent(executionId)}/${callbackId}`;
  }

  async next(executionId: string, url: string, timeoutMs: number, signal?: AbortSignal): Promise<WValue | undefined> {
    const endpoint = this.endpointForUrl(url);
    if (endpoint === undefined || endpoint.executionId !== executionId) return raise('ValueError', `events.await_callback: ${url} is not a callback endpoint of this execution`);
    const queued = endpoint.queue.shift();
    if (queued !== undefined) return queued;
    if (timeoutMs <= 0) return undefined;
    return new Promise<WValue | undefined>((resolve, reject) => {
      const settle = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        endpoint.waiter = undefined;
        this.pending.delete(handle);
      };
      const handle = { reject: (error: Error): void => (settle(), reject(error)) };
      const onAbort = (): void => handle.reject(new ExecutionCancelled());
      const timer = setTimeout(() => (settle(), resolve(undefined)), Math.min(timeoutMs, MAX_TIMER_MS));
      endpoint.waiter = (request) => (settle(), resolve(request));
      this.pending.add(handle);
      if (signal?.aborted === true) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Endpoints of a finished execution answer 404 from now on. */
  closeExecution(executionId: string): void {
    for (const [key, endpoint] of this.endpoints) if (endpoint.executionId === executionId) this.endpoints.delete(key);
  }

  stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      for (const handle of [...this.pending]) handle.reject(new Error('the callback server stopped'));
      this.endpoints.clear();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.stopped;
  }

  private endpointForUrl(url: string): Endpoint | undefined {
    let path: string;
    try {
      path = new URL(url).pathname;
    } catch {
      return undefined;
    }
    const match = PATH.exec(path);
    return match === null ? undefined : this.endpoints.get(endpointKey(decodeURIComponent(match[1] ?? ''), match[2] ?? ''));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const status = await this.deliver(request);
      response.writeHead(status).end();
    } catch (error) {
      const problem = error instanceof HttpProblem ? error : new HttpProblem(500, error instanceof Error ? error.message : String(error));
      this.log(`callbacks: ${request.method ?? '?'} ${request.url ?? '?'} -> ${problem.status} ${problem.message}`);
      response.writeHead(problem.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: problem.status, message: problem.message } }));
    }
  }

  private async deliver(request: IncomingMessage): Promise<number> {
    const url = new URL(request.url ?? '/', this.baseUrl);
    const endpoint = this.endpointForUrl(url.href);
    if (endpoint === undefined) throw new HttpProblem(404, `no callback endpoint at ${url.pathname} (unknown, or its execution has finished)`);
    const method = request.method ?? 'GET';
    if (method !== endpoint.method) throw new HttpProblem(405, `this callback endpoint expects ${endpoint.method}, not ${method}`);
    if (endpoint.queue.length >= MAX_QUEUED_PER_ENDPOINT) throw new HttpProblem(429, 'too many callback requests are waiting for this endpoint');
    const body = parseBody(await readBody(request), request.headers['content-type']);
    const headers = flattenHeaders(request);
    const receivedTime = new Date().toISOString();
    const callbackRequest = mapOf({
      http_request: mapOf({ body, headers: mapOf(withoutAuthorization(headers)), method, query: queryMap(url), url: url.pathname + url.search }),
      received_time: receivedTime,
      type: 'HTTP',
    });
    const bearer = /^Bearer\s+(.+)$/i.exec(headers['authorization'] ?? '')?.[1];
    this.received.push({ executionId: endpoint.executionId, callbackId: endpoint.callbackId, method, url: url.href, headers, body: toJs(body), receivedTime, ...(bearer === undefined ? {} : { bearerToken: bearer }) });
    if (endpoint.waiter !== undefined) endpoint.waiter(callbackRequest);
    else endpoint.queue.push(callbackRequest);
    return 200;
  }
}

function endpointKey(executionId: string, callbackId: string): string {
  return `${executionId}/${callbackId}`;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new HttpProblem(413, `callback bodies are limited to ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** JSON (also when no content type is given) becomes a value, text a string, anything else bytes. */
function parseBody(raw: Buffer, contentType: string | undefined): WValue {
  if (raw.length === 0) return null;
  const type = (contentType ?? 'application/json').toLowerCase();
  if (!type.includes('json') && !type.startsWith('text/') && !type.includes('x-www-form-urlencoded')) return new Uint8Array(raw);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw new HttpProblem(400, 'the callback body is not valid UTF-8');
  }
  if (!type.includes('json')) return text;
  try {
    return parseJson(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw new HttpProblem(400, `the callback body is not valid JSON: ${error.message}`);
    throw error;
  }
}

function flattenHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  return headers;
}

/** The workflow sees the request's headers but not the caller's credentials. */
function withoutAuthorization(headers: Record<string, string>): Record<string, WValue> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'authorization'));
}

function queryMap(url: URL): WValue {
  const query = new Map<string, WValue>();
  for (const [name, value] of url.searchParams) {
    const values = query.get(name);
    if (Array.isArray(values)) values.push(value);
    else query.set(name, [value]);
  }
  return query;
}
