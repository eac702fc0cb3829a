import type { LogEntry } from '../logs/log-entry.js';
import { entryTime } from '../logs/log-entry.js';
import { lastSegment } from '../model/cluster.js';
import type { OperationState } from './operation.js';

const CLUSTER_MANAGER_METHOD = /^google\.container\.v1(?:beta1|alpha1)?\.ClusterManager\.(\w+)$/;

/** Methods whose operationType is not the method name in SNAKE_CASE. */
const METHOD_TYPES: Readonly<Record<string, string>> = {
  UpdateMaster: 'UPGRADE_MASTER',
  UpdateNodePool: 'UPGRADE_NODES',
  SetNodePoolAutoscaling: 'UPDATE_CLUSTER',
  SetMasterAuth: 'SET_MASTER_AUTH',
  SetNodePoolManagement: 'SET_NODE_POOL_MANAGEMENT',
  RollbackNodePoolUpgrade: 'UPGRADE_NODES',
};

export function operationTypeFromMethod(method: string): string {
  return METHOD_TYPES[method] ?? method.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export function isGkeAuditEntry(entry: LogEntry): boolean {
  const method = text(entry.protoPayload?.['methodName']);
  return method !== undefined && CLUSTER_MANAGER_METHOD.test(method);
}

/**
 * Reads a ClusterManager admin-activity audit entry. Long-running calls log `operation.first` when
 * they start and `operation.last` when they end; the end carries `status` when the call failed.
 * Entries that are not part of a long-running operation give nothing.
 */
export function operationFromAuditEntry(entry: LogEntry): OperationState | undefined {
  const payload = entry.protoPayload;
  const method = text(payload?.['methodName'])?.match(CLUSTER_MANAGER_METHOD)?.[1];
  if (!payload || !method) return undefined;
  const response = record(payload['response']);
  const name = text(entry.operation?.id) ?? lastSegment(text(response?.['name']));
  if (!name || (!entry.operation?.first && !entry.operation?.last)) return undefined;
  const labels = entry.resource?.labels ?? {};
  const status = record(payload['status']);
  const failed = status !== undefined && typeof status['code'] === 'number' && status['code'] !== 0;
  const time = entryTime(entry);
  const state: OperationState = {
    name,
    type: text(response?.['operationType']) ?? operationTypeFromMethod(method),
    status: entry.operation?.last ? 'DONE' : 'RUNNING',
    conditions: [],
  };
  const project = text(labels['project_id']);
  if (project) state.project = project;
  const location = text(labels['location']);
  if (location) state.location = location;
  const cluster = text(labels['cluster_name']) ?? lastSegment(text(payload['resourceName'])?.match(/clusters\/[^/]+/)?.[0]);
  if (cluster) state.cluster = cluster;
  if (entry.operation?.first && time) state.startTime = text(response?.['startTime']) ?? time;
  if (entry.operation?.last && time) state.endTime = time;
  if (failed) state.error = text(status['message']) ?? `code ${String(status['code'])}`;
  return state;
}
