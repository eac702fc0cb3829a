import type { FlowSummary, Observation, Remediation } from '../findings/finding.js';
import type { FirewallLayer } from '../firewall/rule.js';
import type { CauseSpec } from '../findings/causes.js';
import type { RuleInfo } from '../rules/rule.js';

export interface CheckResult {
  /** What makes this result distinct from others of the same rule. */
  key: (string | number | undefined)[];
  flow?: FlowSummary;
  firewallRule?: string;
  /** Required with `firewallRule`: the layer it sits in. */
  firewallLayer?: FirewallLayer;
  resources: string[];
  explanation: string;
  remediation: Remediation;
  cause?: CauseSpec;
}

export function checkObservation(rule: RuleInfo, result: CheckResult): Observation {
  return {
    rule: rule.id,
    severity: rule.severity,
    title: rule.title,
    key: [rule.id, ...result.key].map((part) => part ?? '').join('|'),
    flow: result.flow ?? null,
    firewallRule: result.firewallRule ?? null,
    firewallLayer: result.firewallRule ? (result.firewallLayer ?? 'vpc-firewall') : null,
    resources: result.resources,
    detail: () => ({ explanation: result.explanation, remediation: result.remediation }),
    ...(result.cause ? { cause: result.cause } : {}),
  };
}
