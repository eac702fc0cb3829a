import type { StageResult } from '../../core/deploy/stages.js';
import { MAX_DELIVERY_ATTEMPTS } from '../../core/pipeline/names.js';
import { PoisonMessageError } from '../runtime/cloud-event.js';
import { BuildStartInProgress } from './stages/build-stage.js';

/**
 * Deliveries of one ask that may fail before the workflow hears about it: half the
 * subscription's attempts, leaving the rest for the report itself before Pub/Sub dead-letters.
 */
export const MAX_FAILED_DELIVERIES = MAX_DELIVERY_ATTEMPTS / 2;

/** gRPC codes that say the same call would fail again: INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED, FAILED_PRECONDITION, OUT_OF_RANGE, UNIMPLEMENTED, UNAUTHENTICATED. */
const PERMANENT_GRPC = new Set([3, 5, 6, 7, 9, 11, 12, 16]);

/** Whether trying again later could help: infrastructure trouble rather than a refusal. Unknown errors count as transient. */
function transient(error: unknown): boolean {
  if (error instanceof PoisonMessageError) return false;
  const { code, status } = (error ?? {}) as { code?: unknown; status?: unknown };
  // gRPC codes are 0-16; HTTP statuses (Kubernetes and REST clients) are 100 and up.
  const http = typeof status === 'number' && status >= 100 ? status : typeof code === 'number' && code >= 100 ? code : undefined;
  if (http !== undefined) return http === 408 || http === 429 || http >= 500;
  return typeof code === 'number' ? !PERMANENT_GRPC.has(code) : true;
}

/** A Kubernetes API Status in the error's body: @kubernetes/client-node puts it there with the headers. */
function kubernetesStatus(error: unknown): { code: unknown; message: string } | undefined {
  const body = (error as { body?: unknown } | null)?.body;
  try {
    const status = (typeof body === 'string' ? JSON.parse(body) : body) as { kind?: unknown; code?: unknown; message?: unknown } | undefined;
    return status?.kind === 'Status' && typeof status.message === 'string' ? { code: status.code, message: status.message } : undefined;
  } catch {
    return undefined;
  }
}

/** The error in one line, as the workflow and the notification show it. */
export function errorText(error: unknown): string {
  const status = kubernetesStatus(error);
  const text = status ? `Kubernetes API HTTP ${String(status.code)}: ${status.message}` : error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, ' ').trim().slice(0, 1000);
}

/**
 * What to report when a stage handler throws, so the workflow gets the diagnosis instead of a
 * timeout: `failed` for an error that will not go away, `retryable` once transient errors have
 * used up their deliveries; undefined means let Pub/Sub deliver again.
 */
export function failureReport(error: unknown, deliveries: number): StageResult | undefined {
  if (error instanceof BuildStartInProgress) return undefined;
  if (!transient(error)) return { status: 'failed', reason: `the stage failed: ${errorText(error)}` };
  if (deliveries >= MAX_FAILED_DELIVERIES) return { status: 'retryable', reason: `the stage failed ${deliveries} times in a row: ${errorText(error)}` };
  return undefined;
}
