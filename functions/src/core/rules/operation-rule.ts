import type { Remediation } from '../findings/finding.js';
import type { OperationState, StuckThresholds } from '../gke/operation.js';
import type { RuleInfo } from './rule.js';

export interface OperationContext {
  now: Date;
  thresholds: StuckThresholds;
}

/** A rule over GKE operations, from the API, an export or audit logs. */
export interface OperationRule extends RuleInfo {
  source: 'gke-operation';
  matches(op: OperationState, context: OperationContext): boolean;
  explain(op: OperationState, context: OperationContext): string;
  fix(op: OperationState): Remediation;
}
