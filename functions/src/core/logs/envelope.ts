/**
 * Log entries arrive bare (gcloud, NDJSON) or wrapped as a sink delivers them: a Pub/Sub push body
 * `{message: {data, attributes, messageId}, subscription}` or a CloudEvent whose `data` is that
 * body. Either way `message.data` is base64 of one LogEntry.
 */
export type Unwrapped = { entry: unknown; messageId?: string } | { error: string };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function decodeBase64Json(data: unknown): { value: unknown } | { error: string } {
  if (typeof data !== 'string') return { error: 'message.data is not a base64 string' };
  const compact = data.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) return { error: 'message.data is not valid base64' };
  let text: string;
  try {
    text = utf8.decode(Buffer.from(compact, 'base64'));
  } catch {
    return { error: 'message.data is not valid UTF-8' };
  }
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    return { error: `message.data is not JSON: ${(error as Error).message}` };
  }
}

function pubsubMessageOf(value: Record<string, unknown>): Record<string, unknown> | undefined {
  if (isRecord(value['message']) && 'data' in value['message']) return value['message'];
  if (isRecord(value['data']) && isRecord(value['data']['message'])) return value['data']['message'];
  return undefined;
}

export function unwrapEnvelope(value: unknown): Unwrapped {
  if (!isRecord(value)) return { error: `expected a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}` };
  const message = pubsubMessageOf(value);
  if (!message) return { entry: value };
  const decoded = decodeBase64Json(message['data']);
  if ('error' in decoded) return decoded;
  const messageId = message['messageId'] ?? message['message_id'];
  return typeof messageId === 'string' ? { entry: decoded.value, messageId } : { entry: decoded.value };
}
