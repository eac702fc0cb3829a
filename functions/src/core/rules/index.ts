import type { DenialRule, RuleInfo } from './rule.js';
import type { OperationRule } from './operation-rule.js';
import { masterToNodeBlocked } from './master-to-node-blocked.js';
import { webhookPortBlocked } from './webhook-port-blocked.js';
import { healthCheckBlocked } from './health-check-blocked.js';
import { iapBlocked } from './iap-blocked.js';
import { nodeToMasterBlocked } from './node-to-master-blocked.js';
import { googleApisBlocked } from './google-apis-blocked.js';
import { intraClusterBlocked } from './intra-cluster-blocked.js';
import { internetEgressBlocked } from './internet-egress-blocked.js';
import { unclassifiedDenial } from './unclassified-denial.js';
import { webhookCallFailed } from './webhook-call-failed.js';
import { operationStuck } from './operation-stuck.js';
import { operationFailed } from './operation-failed.js';

/** Tried in order; the first that matches explains the denial, so the catch-all comes last. */
export const DENIAL_RULES: readonly DenialRule[] = [
  masterToNodeBlocked,
  webhookPortBlocked,
  healthCheckBlocked,
  iapBlocked,
  nodeToMasterBlocked,
  googleApisBlocked,
  intraClusterBlocked,
  internetEgressBlocked,
  unclassifiedDenial,
];

export const OPERATION_RULES: readonly OperationRule[] = [operationStuck, operationFailed];

export { webhookCallFailed };

export const ALL_RULES: readonly RuleInfo[] = [...DENIAL_RULES, webhookCallFailed, ...OPERATION_RULES];

export function ruleById(id: string): RuleInfo | undefined {
  return ALL_RULES.find((rule) => rule.id === id);
}
