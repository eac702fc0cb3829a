import http from 'node:http';
import { status } from '@grpc/grpc-js';
import type { PushSubscriptionConfig } from './subscription-settings.js';
import { invalidArgument, PubSubFailure } from './errors.js';
import { IdleTimeoutError } from './idle-waiters.js';
import { isRecord } from './wire.js';
import type { WireRecord } from './wire.js';
import { listenOnLoopback } from '../listen.js';

/** What the admin routes need: a subset of FakePubSub's public API. */
export interface AdminBackend {
  stats(): object;
  messageStates(messageIds: readonly string[]): object;
  waitForIdle(timeoutMs: number): Promise<void>;
  createTopic(topic: string): void;
  createPushSubscription(subscription: string, config: PushSubscriptionConfig): void;
}

export interface AdminServer {
  url: string;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  body: unknown;
}

const MAX_BODY_BYTES = 1024 * 1024;
const DEFAULT_WAIT_IDLE_MS = 30_000;
const MAX_WAIT_IDLE_MS = 10 * 60_000;

/**
 * Plain JSON over HTTP, for processes that cannot share memory with the fake (a CLI replaying logs needs to
 * know when its messages have all been delivered).
 */
export async function startAdminServer(backend: AdminBackend, port = 0): Promise<AdminServer> {
  const server = http.createServer((request, response) => {
    void route(backend, request)
      .catch(errorReply)
      .then((reply) => sendJson(response, reply));
  });
  const bound = await listenOnLoopback(server, port, 'local Pub/Sub admin');
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function route(backend: AdminBackend, request: http.IncomingMessage): Promise<Reply> {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  switch (`${request.method ?? ''} ${url.pathname}`) {
    case 'GET /admin/stats':
      return ok(backend.stats());
    case 'POST /admin/message-states':
      return ok(backend.messageStates(requiredStringArray(await readJson(request), 'messageIds')));
    case 'POST /admin/wait-idle':
      return waitIdle(backend, waitTimeoutMs(url));
    case 'POST /admin/topics':
      return createTopic(backend, await readJson(request));
    case 'POST /admin/push-subscriptions':
      return createPushSubscription(backend, await readJson(request));
    default:
      return { status: 404, body: { error: `no route for ${request.method ?? '?'} ${url.pathname}` } };
  }
}

async function waitIdle(backend: AdminBackend, timeoutMs: number): Promise<Reply> {
  try {
    await backend.waitForIdle(timeoutMs);
    return ok({ idle: true });
  } catch (error) {
    if (error instanceof IdleTimeoutError) return { status: 504, body: { idle: false, error: error.message } };
    throw error;
  }
}

function createTopic(backend: AdminBackend, body: WireRecord): Reply {
  const topic = requiredString(body, 'topic');
  backend.createTopic(topic);
  return ok({ topic });
}

function createPushSubscription(backend: AdminBackend, body: WireRecord): Reply {
  const subscription = requiredString(body, 'subscription');
  backend.createPushSubscription(subscription, {
    topic: requiredString(body, 'topic'),
    pushEndpoint: requiredString(body, 'pushEndpoint'),
    deadLetterTopic: optionalString(body, 'deadLetterTopic'),
    maxDeliveryAttempts: optionalNumber(body, 'maxDeliveryAttempts'),
    ackDeadlineSeconds: optionalNumber(body, 'ackDeadlineSeconds'),
    maxInFlight: optionalNumber(body, 'maxInFlight'),
  });
  return ok({ subscription });
}

function waitTimeoutMs(url: URL): number {
  const raw = url.searchParams.get('timeoutMs');
  if (raw === null) return DEFAULT_WAIT_IDLE_MS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0 || value > MAX_WAIT_IDLE_MS) throw invalidArgument(`timeoutMs must be an integer between 1 and ${MAX_WAIT_IDLE_MS}`);
  return value;
}

async function readJson(request: http.IncomingMessage): Promise<WireRecord> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += bytes.length;
    if (size > MAX_BODY_BYTES) throw invalidArgument(`request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(bytes);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidArgument('request body is not valid JSON');
  }
  if (!isRecord(parsed)) throw invalidArgument('request body must be a JSON object');
  return parsed;
}

function requiredString(body: WireRecord, key: string): string {
  const value = body[key];
  if (typeof value !== 'string' || value === '') throw invalidArgument(`"${key}" must be a non-empty string`);
  return value;
}

function requiredStringArray(body: WireRecord, key: string): string[] {
  const value = body[key];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw invalidArgument(`"${key}" must be an array of strings`);
  return value;
}

function optionalString(body: WireRecord, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidArgument(`"${key}" must be a string`);
  return value;
}

function optionalNumber(body: WireRecord, key: string): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw invalidArgument(`"${key}" must be a number`);
  return value;
}

const HTTP_STATUS_BY_GRPC_CODE = new Map<status, number>([
  [status.INVALID_ARGUMENT, 400],
  [status.NOT_FOUND, 404],
  [status.ALREADY_EXISTS, 409],
  [status.FAILED_PRECONDITION, 409],
  [status.UNIMPLEMENTED, 501],
  [status.UNAVAILABLE, 503],
]);

function errorReply(error: unknown): Reply {
  if (error instanceof PubSubFailure) return { status: HTTP_STATUS_BY_GRPC_CODE.get(error.code) ?? 500, body: { error: error.message } };
  return { status: 500, body: { error: error instanceof Error ? error.message : String(error) } };
}

function ok(body: unknown): Reply {
  return { status: 200, body };
}

function sendJson(response: http.ServerResponse, reply: Reply): void {
  const text = JSON.stringify(reply.body);
  response.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  response.end(text);
}
