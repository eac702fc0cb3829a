/**
 * The Pub/Sub connector `googleapis.pubsub.v1.projects.topics.publish`. Requests are checked the
 * way the Pub/Sub REST API checks them, and failures surface as HttpError maps like connector
 * errors do, so that except blocks and retry predicates see what they would see in production.
 */
import { errorMap, RaisedError } from './errors.js';
import { isList, isMap, mapOf, typeName } from './values.js';
import type { WMap, WValue } from './values.js';
import { defineFunction } from './stdlib-types.js';
import type { FunctionSpec } from './stdlib-types.js';
import type { PublishedMessage, RuntimeServices } from './services.js';

export const PUBLISH = 'googleapis.pubsub.v1.projects.topics.publish';

const TOPIC = /^projects\/[^/]+\/topics\/[^/]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Fields of PubsubMessage that a publish request may carry; output-only ones are ignored by the API. */
const MESSAGE_FIELDS = new Set(['data', 'attributes', 'orderingKey', 'messageId', 'publishTime']);

/** gRPC status codes a connector implementation might reject with, as the HTTP codes the REST API uses. */
const HTTP_STATUS_OF_GRPC: Readonly<Record<number, number>> = { 1: 499, 2: 500, 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429, 9: 400, 10: 409, 11: 400, 12: 501, 13: 500, 14: 503, 15: 500, 16: 401 };

function httpError(code: number, message: string): RaisedError {
  return new RaisedError(errorMap('HttpError', message, { code: BigInt(code), body: mapOf({ error: mapOf({ code: BigInt(code), message }) }) }));
}

function badRequest(message: string): never {
  throw httpError(400, message);
}

function readMessage(value: WValue, index: number): PublishedMessage {
  if (!isMap(value)) return badRequest(`body.messages[${index}] must be a map, not ${typeName(value)}`);
  const unknown = [...value.keys()].find((key) => !MESSAGE_FIELDS.has(key));
  if (unknown !== undefined) badRequest(`Invalid JSON payload received. Unknown name "${unknown}" at 'messages[${index}]'`);
  const data = value.get('data') ?? null;
  if (data !== null && (typeof data !== 'string' || !BASE64.test(data))) badRequest(`body.messages[${index}].data must be a base64-encoded string`);
  const attributes = readAttributes(value.get('attributes') ?? null, index);
  if ((data === null || data === '') && Object.keys(attributes ?? {}).length === 0) {
    badRequest('One or more messages in the publish request is empty. Each message must contain either non-empty data, or at least one attribute.');
  }
  return attributes === undefined ? { data: data ?? '' } : { data: data ?? '', attributes };
}

function readAttributes(value: WValue, index: number): Record<string, string> | undefined {
  if (value === null) return undefined;
  if (!isMap(value)) return badRequest(`body.messages[${index}].attributes must be a map of strings`);
  const attributes: Record<string, string> = {};
  for (const [key, item] of value) {
    if (typeof item !== 'string') badRequest(`body.messages[${index}].attributes.${key} must be a string, not ${typeName(item)}`);
    attributes[key] = item;
  }
  return attributes;
}

function readRequest(topic: WValue | undefined, body: WValue | undefined): { topic: string; messages: PublishedMessage[] } {
  if (typeof topic !== 'string' || !TOPIC.test(topic)) badRequest(`topic must look like projects/PROJECT/topics/TOPIC, got ${JSON.stringify(topic ?? null)}`);
  const messages = isMap(body ?? null) ? (body as WMap).get('messages') : undefined;
  if (!isList(messages) || messages.length === 0) badRequest('body.messages must be a non-empty list');
  return { topic, messages: messages.map(readMessage) };
}

function statusOf(error: unknown): number {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code !== 'number') return 500;
  return code >= 400 ? code : (HTTP_STATUS_OF_GRPC[code] ?? 500);
}

async function publish(topic: WValue | undefined, body: WValue | undefined, services: RuntimeServices): Promise<WValue> {
  const request = readRequest(topic, body);
  let ids: string[];
  try {
    ids = await services.publish(request.topic, request.messages);
  } catch (error) {
    throw httpError(statusOf(error), `publish to ${request.topic} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return mapOf({ messageIds: ids.map(String) });
}

export const PUBSUB_FUNCTIONS: readonly FunctionSpec[] = [
  defineFunction(PUBLISH, ['topic', 'body', 'connector_params?'], ([topic, body], services) => publish(topic, body, services), { blocking: true }),
];
