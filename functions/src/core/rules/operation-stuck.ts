import { formatDuration } from '../report/text.js';
import { describeOperationCommand, isStuck, runningMinutes, stuckThresholdMinutes } from '../gke/operation.js';
import type { OperationRule } from './operation-rule.js';

export const operationStuck: OperationRule = {
  id: 'operation-stuck',
  title: 'A GKE operation is stuck',
  severity: 'error',
  source: 'gke-operation',
  why:
    "A cluster stuck in PROVISIONING is the guide's first troubleshooting case. On private GKE, CREATE_CLUSTER waits for nodes to register and pass health checks, so blocked node-to-master traffic, blocked health checks or a missing route to the Google APIs VIP leave the operation RUNNING until it times out, with no error to read.",
  remediation:
    'Describe the operation to see which stage it waits in, then look for DENIED firewall entries from the nodes (kfguard analyze) around its start time.',
  matches: (op, context) => isStuck(op, context.now, context.thresholds),
  explain: (op, context) => {
    const minutes = runningMinutes(op, context.now) ?? 0;
    const where = [op.cluster && `cluster ${op.cluster}`, op.location].filter(Boolean).join(', ');
    const stage = op.stage ? ` It is in stage ${op.stage}.` : '';
    const conditions = op.conditions.length > 0 ? ` GKE reports ${op.conditions.join(', ')}.` : '';
    return `${op.type} ${op.name}${where ? ` (${where})` : ''} has been ${op.status} for ${formatDuration(minutes * 60)}, past the ${formatDuration(stuckThresholdMinutes(op.type, context.thresholds) * 60)} threshold.${stage}${conditions} Nodes that cannot reach the control plane or pass health checks keep a private cluster provisioning.`;
  },
  fix: (op) => ({
    summary: `Describe ${op.name} to see where it waits, then check DENIED firewall logs from the nodes since ${op.startTime ?? 'it started'}.`,
    gcloud: describeOperationCommand(op),
    manifest: null,
  }),
};
