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

/** A LogEntry, a request or a notification is a few levels deep; far deeper JSON is an attack on every recursive walk after it. */
export const MAX_JSON_DEPTH = 64;

/** Whether parsed JSON nests deeper than `limit`, found without recursion. */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [node, depth] = next;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Object.values(node)) pending.push([child, depth + 1]);
  }
  return false;
}

function kindOf(value: unknown): string {
  return Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value;
}

/** The one shape every kfguard message and entry has: a JSON object of reasonable depth. */
function asObject(value: unknown): { object: Record<string, unknown> } | { error: string } {
  if (!isRecord(value)) return { error: `expected a JSON object, got ${kindOf(value)}` };
  return nestedDeeperThan(value, MAX_JSON_DEPTH) ? { error: `nested more than ${MAX_JSON_DEPTH} levels deep` } : { object: value };
}

export function decodeBase64Json(data: unknown): { value: Record<string, unknown> } | { error: string } {
  if (typeof data !== 'string') return { error: 'message.data is not a base64 string' };
  const compact = data.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) return { error: 'message.data is not valid base64' };
  let text: string;
  try {
    text = utf8.decode(Buffer.from(compact, 'base64'));
  } catch {
    return { error: 'message.data is not valid UTF-8' };
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    return { error: `message.data is not JSON: ${(error as Error).message}` };
  }
  const checked = asObject(value);
  return 'error' in checked ? { error: `message.data: ${checked.error}` } : { value: checked.object };
}

function pubsubMessageOf(value: Record<string, unknown>): Record<string, unknown> | undefined {
  if (isRecord(value['message']) && 'data' in value['message']) return value['message'];
  if (isRecord(value['data']) && isRecord(value['data']['message'])) return value['data']['message'];
  return undefined;
}

export function unwrapEnvelope(value: unknown): Unwrapped {
  const checked = asObject(value);
  if ('error' in checked) return checked;
  const message = pubsubMessageOf(checked.object);
  if (!message) return { entry: checked.object };
  const decoded = decodeBase64Json(message['data']);
  if ('error' in decoded) return decoded;
  const messageId = message['messageId'] ?? message['message_id'];
  return typeof messageId === 'string' ? { entry: decoded.value, messageId } : { entry: decoded.value };
}
