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
import type { CheckRule } from './check-rule.js';
import { webhookPortNotAllowed } from './webhook-port-not-allowed.js';
import { webhookPortUnresolved } from './webhook-port-unresolved.js';
import { requiredFlowBlocked } from './required-flow-blocked.js';
import { masterCidrMismatch } from './master-cidr-mismatch.js';
import { denyLoggingDisabled } from './deny-logging-disabled.js';
import { noLoggedCatchAllDeny } from './no-logged-catch-all-deny.js';
import { routePriorityInverted } from './route-priority-inverted.js';
import { privateApisRouteMissing } from './private-apis-route-missing.js';
import { privateDnsMissing } from './private-dns-missing.js';
import { cloudNatMissing } from './cloud-nat-missing.js';
import { clusterNotPrivate } from './cluster-not-private.js';
import { authorizedNetworksDisabled } from './authorized-networks-disabled.js';
import { unsetSetter } from './unset-setter.js';
import { internetRouteMissing } from './internet-route-missing.js';
import { cnrmResourceNotReady } from './cnrm-resource-not-ready.js';
import { danglingReference } from './dangling-reference.js';
import { clusterUnhealthy } from './cluster-unhealthy.js';

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

/** What `kfguard check` and the health sweep evaluate on configuration and live state. */
export const CHECK_RULES: readonly CheckRule[] = [
  webhookPortNotAllowed,
  webhookPortUnresolved,
  requiredFlowBlocked,
  masterCidrMismatch,
  denyLoggingDisabled,
  noLoggedCatchAllDeny,
  routePriorityInverted,
  privateApisRouteMissing,
  privateDnsMissing,
  cloudNatMissing,
  clusterNotPrivate,
  authorizedNetworksDisabled,
  unsetSetter,
  internetRouteMissing,
  cnrmResourceNotReady,
  danglingReference,
  clusterUnhealthy,
];

export const ALL_RULES: readonly RuleInfo[] = [...DENIAL_RULES, webhookCallFailed, ...OPERATION_RULES, ...CHECK_RULES];

export function ruleById(id: string): RuleInfo | undefined {
  return ALL_RULES.find((rule) => rule.id === id);
}
