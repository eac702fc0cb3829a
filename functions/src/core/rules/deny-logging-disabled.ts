import { stringify } from 'yaml';
import { checkObservation } from '../check/observation.js';
import { renderRuleUpdate } from '../firewall/policy-proposal.js';
import { describeRule, type FirewallRule } from '../firewall/rule.js';
import { stackRules } from '../firewall/stack.js';
import type { CheckRule } from './check-rule.js';

const isSystemPolicy = (rule: FirewallRule): boolean => rule.policy?.kind === 'system-global' || rule.policy?.kind === 'system-regional';

/** Deny rules a user wrote: not GKE's own (GKE reconciles them), not modelled, not Google-managed. */
const userDeny = (rule: FirewallRule): boolean =>
  rule.action === 'deny' && !rule.logging && !rule.managedByGke && !isSystemPolicy(rule) && (rule.origin === 'manifest' || rule.origin === 'gcloud' || rule.origin === 'terraform');

export const denyLoggingDisabled: CheckRule = {
  id: 'deny-logging-disabled',
  title: 'A deny rule does not log',
  severity: 'warning',
  source: 'configuration',
  requires: ['firewalls'],
  why:
    "Firewall logging is per rule. A deny rule without it drops traffic silently: no DENIED entry reaches Cloud Logging, the log sink or `kfguard analyze`, so the guide's troubleshooting finds nothing. The blueprint ships its rules with logging off (setter `log-firewalls`); firewall policy rules log only when their enableLogging is set.",
  remediation: 'Enable logging on deny rules (`kpt cfg set ./upstream/manifests/gcp/v2/privateGKE/ log-firewalls true` for the blueprint; `--enable-logging` on a firewall policy rule).',
  check(context) {
    return stackRules(context.stack)
      .filter(userDeny)
      .map((rule) =>
        checkObservation(denyLoggingDisabled, {
          key: [rule.name],
          firewallRule: rule.name,
          firewallLayer: rule.layer,
          resources: [`firewall:${rule.name}`],
          explanation: `${rule.direction} deny ${describeRule(rule)} has logging off: what it drops never appears as DENIED in Cloud Logging, so kfguard's log sink cannot diagnose it.`,
          remediation: {
            summary: `Enable logging on ${rule.name}.${rule.policy?.kind === 'hierarchical' ? ' It is a hierarchical firewall policy rule: an organization or folder administrator must change it.' : ''}`,
            gcloud: renderRuleUpdate(rule, ['--enable-logging'], context.networkProject),
            manifest: stringify({ spec: { enableLogging: true } }),
            layer: rule.layer,
          },
        }),
      );
  },
};
