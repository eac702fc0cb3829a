import * as functions from '@google-cloud/functions-framework';
import { createLogger, type Logger } from '../logger.js';
import { runtimeConfig } from '../config.js';
import { firestore } from '../firestore/client.js';
import { recordRejection } from '../firestore/rejected.js';
import { PoisonMessageError, type PubSubCloudEvent, type PubSubMessage } from './cloud-event.js';

export interface HandlerContext {
  logger: Logger;
  now: Date;
}

export type CloudEventHandler = (event: PubSubCloudEvent, context: HandlerContext) => Promise<void>;

export class DeadlineError extends Error {}

function withDeadline<T>(work: Promise<T>, milliseconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`gave up after ${milliseconds} ms; Pub/Sub will redeliver`)), milliseconds);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Registers a Pub/Sub-triggered function with kfguard's delivery semantics: poison input is
 * recorded in `rejected` and acknowledged (returning means HTTP 204); any other failure, or
 * running past the deadline, throws (HTTP 500) so Pub/Sub redelivers.
 */
export function registerCloudEvent(name: string, handler: CloudEventHandler): void {
  functions.cloudEvent<unknown>(name, async (raw: Parameters<functions.CloudEventFunction<unknown>>[0]) => {
    const event = raw as unknown as PubSubCloudEvent;
    const message = (event.data as { message?: PubSubMessage } | undefined)?.message;
    const logger = createLogger({ function: name, eventId: String(event.id), ...(message?.messageId ? { messageId: message.messageId } : {}) });
    const now = new Date();
    try {
      await withDeadline(handler(event, { logger, now }), runtimeConfig().handlerDeadlineMs);
    } catch (error) {
      if (!(error instanceof PoisonMessageError)) {
        logger.error(`${name} failed; Pub/Sub will redeliver`, { error });
        throw error;
      }
      logger.error(`${name} rejected a message: ${error.message}`, { reason: error.message });
      await recordRejection(firestore(), { function: name, eventId: String(event.id), messageId: message?.messageId, reason: error.message, sample: error.sample }, now);
    }
  });
}

export type HttpHandler = (request: functions.Request, response: functions.Response, context: HandlerContext) => Promise<void>;

/** Registers an HTTP function: a failure is logged and answered 503, never with its details. */
export function registerHttp(name: string, handler: HttpHandler): void {
  functions.http(name, async (request, response) => {
    const logger = createLogger({ function: name });
    try {
      await handler(request, response, { logger, now: new Date() });
    } catch (error) {
      logger.error(`${name} failed`, { error, path: request.path });
      if (!response.headersSent) response.status(503).type('text/plain').send(`kfguard ${name} is unavailable; the function's logs say why.\n`);
    }
  });
}
