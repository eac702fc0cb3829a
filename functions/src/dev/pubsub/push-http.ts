import http from 'node:http';
import https from 'node:https';
import type { StoredMessage } from './message.js';

export interface PushRequest {
  headers: Record<string, string>;
  body: string;
}

export interface PushResult {
  ok: boolean;
  /** "HTTP 204", "no response within 500 ms", "connect ECONNREFUSED ..." */
  detail: string;
}

/**
 * The request Eventarc sends a 2nd-gen Cloud Function for a Pub/Sub message: a binary-mode CloudEvent whose
 * body is the Pub/Sub push envelope. The envelope carries both camelCase and snake_case id/time fields, as
 * real push bodies do, because handlers in the wild read either spelling.
 */
export function cloudEventRequest(message: StoredMessage, subscription: string): PushRequest {
  const publishTime = message.publishTime.toISOString();
  const envelope = {
    message: {
      data: message.data.toString('base64'),
      attributes: { ...message.attributes },
      messageId: message.id,
      message_id: message.id,
      publishTime,
      publish_time: publishTime,
      ...(message.orderingKey ? { orderingKey: message.orderingKey } : {}),
    },
    subscription,
  };
  return {
    headers: {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': message.id,
      'ce-source': `//pubsub.googleapis.com/${message.topic}`,
      'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
      'ce-time': publishTime,
    },
    body: JSON.stringify(envelope),
  };
}

/** Keep-alive agents owned by one server, so stop() can close every socket it opened. */
export interface PushAgents {
  http: http.Agent;
  https: https.Agent;
}

export function createPushAgents(): PushAgents {
  return { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
}

export function destroyPushAgents(agents: PushAgents): void {
  agents.http.destroy();
  agents.https.destroy();
}

/**
 * POSTs once. Never rejects: every way of failing (status, refused connection, timeout, abort) is a failed
 * delivery attempt to the caller. The verdict is taken from the status line; the body is drained and ignored.
 */
export function postPush(endpoint: string, request: PushRequest, options: { timeoutMs: number; agents: PushAgents; signal: AbortSignal }): Promise<PushResult> {
  return new Promise((resolve) => {
    const url = new URL(endpoint);
    const secure = url.protocol === 'https:';
    const outgoing = (secure ? https : http).request(url, {
      method: 'POST',
      headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
      agent: secure ? options.agents.https : options.agents.http,
      signal: options.signal,
    });
    const timer = setTimeout(() => outgoing.destroy(new Error(`no response within ${options.timeoutMs} ms`)), options.timeoutMs);
    const settle = (result: PushResult): void => {
      clearTimeout(timer);
      resolve(result);
    };
    outgoing.on('response', (response) => {
      response.resume();
      const code = response.statusCode ?? 0;
      settle({ ok: code >= 200 && code < 300, detail: `HTTP ${code}` });
    });
    outgoing.on('error', (error) => settle({ ok: false, detail: error.message }));
    outgoing.end(request.body);
  });
}
