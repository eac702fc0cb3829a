import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listenOnLoopback } from './listen.js';

export interface RecordedChatMessage {
  space: string;
  requestId?: string;
  body: unknown;
  receivedAt: string;
}

/**
 * An injected failure: an error status (with Retry-After), or a slow reply: the message is
 * accepted and recorded, but the answer comes `delayMs` later, after the caller gave up waiting.
 */
export type ChatFault = { status: number; retryAfterSeconds?: number } | { delayMs: number };

/**
 * Stands in for chat.googleapis.com's incoming webhooks: records each message per space,
 * deduplicates by requestId like Chat does, enforces Chat's 60 messages per minute per space with
 * 429, and can be told to fail the next requests (429 with Retry-After, 5xx, slow replies) for
 * fault tests.
 */
export class ChatRecorder {
  readonly messages: RecordedChatMessage[] = [];
  readonly attempts: { space: string; status: number }[] = [];
  private readonly faults: ChatFault[] = [];
  private readonly recent = new Map<string, number[]>();

  private readonly server: Server;
  url = '';

  private constructor(private readonly perMinute: number) {
    this.server = createServer((request, response) => void this.handle(request, response));
  }

  static async start(port = 0, perMinute = 60): Promise<ChatRecorder> {
    const recorder = new ChatRecorder(perMinute);
    await listenOnLoopback(recorder.server, port, 'Google Chat recorder');
    recorder.url = `http://127.0.0.1:${(recorder.server.address() as AddressInfo).port}`;
    return recorder;
  }

  failNext(...faults: ChatFault[]): void {
    this.faults.push(...faults);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    const space = url.pathname.match(/^\/v1\/spaces\/([^/]+)\/messages$/)?.[1];
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    let delayMs = 0;
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      this.attempts.push({ space: space ?? '', status });
      const send = () => {
        if (!response.destroyed) response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
      };
      if (delayMs > 0) setTimeout(send, delayMs).unref();
      else send();
    };
    if (request.method !== 'POST' || !space || !url.searchParams.get('key') || !url.searchParams.get('token')) return reply(404, { error: { code: 404, message: 'not a Chat webhook' } });
    const fault = this.faults.shift();
    if (fault && 'delayMs' in fault) delayMs = fault.delayMs;
    else if (fault) return reply(fault.status, { error: { code: fault.status, message: 'injected' } }, fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) });
    const requestId = url.searchParams.get('requestId') ?? undefined;
    const existing = requestId ? this.messages.find((message) => message.space === space && message.requestId === requestId) : undefined;
    if (existing) return reply(200, { name: `spaces/${space}/messages/${requestId}`, duplicate: true });
    const now = Date.now();
    const window = (this.recent.get(space) ?? []).filter((at) => now - at < 60_000);
    if (window.length >= this.perMinute) return reply(429, { error: { code: 429, message: 'Resource has been exhausted (e.g. check quota).' } }, { 'retry-after': '60' });
    window.push(now);
    this.recent.set(space, window);
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return reply(400, { error: { code: 400, message: 'Invalid JSON payload received.' } });
    }
    this.messages.push({ space, ...(requestId ? { requestId } : {}), body, receivedAt: new Date(now).toISOString() });
    reply(200, { name: `spaces/${space}/messages/${this.messages.length}` });
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
