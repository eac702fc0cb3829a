import { describeOperationCommand, isFailed } from '../gke/operation.js';
import type { OperationRule } from './operation-rule.js';

export const operationFailed: OperationRule = {
  id: 'operation-failed',
  title: 'A GKE operation failed',
  severity: 'error',
  source: 'gke-operation',
  why: 'GKE finished the operation with an error (quota, stockout, an invalid network reference, or nodes that never became healthy). The cluster or node pool is left in an error or degraded state until the cause is fixed and the operation retried.',
  remediation: 'Describe the operation for the full error and fix its cause before retrying; for network errors check the subnetwork, secondary ranges and firewall rules the cluster references.',
  matches: (op) => isFailed(op),
  explain: (op) => {
    const where = [op.cluster && `cluster ${op.cluster}`, op.location].filter(Boolean).join(', ');
    const conditions = op.conditions.length > 0 ? ` Conditions: ${op.conditions.join(', ')}.` : '';
    return `${op.type} ${op.name}${where ? ` (${where})` : ''} failed: ${op.error}.${conditions}`;
  },
  fix: (op) => ({
    summary: `Read the full error of ${op.name}, fix its cause, then retry the ${op.type.toLowerCase().replace(/_/g, ' ')}.`,
    gcloud: describeOperationCommand(op),
    manifest: null,
  }),
};
