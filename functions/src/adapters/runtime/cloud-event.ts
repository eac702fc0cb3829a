import { decodeBase64Json } from '../../core/logs/envelope.js';

/** What functions-framework hands a Pub/Sub-triggered cloudEvent function (binary or structured mode). */
export interface PubSubCloudEvent {
  id: string;
  source: string;
  type?: string;
  time?: string;
  data?: unknown;
}

export interface PubSubMessage {
  data?: string;
  attributes?: Record<string, string>;
  messageId?: string;
  publishTime?: string;
}

/** Input that will never be processable: acknowledged and recorded, never retried. */
export class PoisonMessageError extends Error {
  constructor(
    message: string,
    readonly sample?: string,
  ) {
    super(message);
  }
}

/** The largest message kfguard accepts; Cloud Logging entries stop at 256 KB. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

export function pubsubMessage(event: PubSubCloudEvent): PubSubMessage {
  const message = (event.data as { message?: unknown } | undefined)?.message;
  if (message === null || typeof message !== 'object') throw new PoisonMessageError('not a Pub/Sub CloudEvent: data.message is missing');
  return message as PubSubMessage;
}

/** `message.data` as JSON: base64, UTF-8 and JSON are each checked, with the size bounded first. */
export function decodeJsonMessage(event: PubSubCloudEvent): Record<string, unknown> {
  const message = pubsubMessage(event);
  if (typeof message.data === 'string' && message.data.length > (MAX_MESSAGE_BYTES * 4) / 3 + 4) {
    throw new PoisonMessageError(`message.data is larger than ${MAX_MESSAGE_BYTES} bytes`, message.data.slice(0, 256));
  }
  const decoded = decodeBase64Json(message.data);
  if ('error' in decoded) throw new PoisonMessageError(decoded.error, typeof message.data === 'string' ? message.data.slice(0, 256) : undefined);
  return decoded.value;
}
