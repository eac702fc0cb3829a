import { stringify } from 'yaml';
import { checkObservation } from '../check/observation.js';
import { shellArg } from '../firewall/proposal.js';
import type { CheckRule } from './check-rule.js';

export const denyLoggingDisabled: CheckRule = {
  id: 'deny-logging-disabled',
  title: 'A deny rule does not log',
  severity: 'warning',
  source: 'configuration',
  requires: ['firewalls'],
  why:
    "Firewall logging is per rule. A deny rule without it drops traffic silently: no DENIED entry reaches Cloud Logging, the log sink or `kfguard analyze`, so the guide's troubleshooting finds nothing. The blueprint ships its rules with logging off (setter `log-firewalls`).",
  remediation: 'Enable logging on deny rules (`kpt cfg set ./upstream/manifests/gcp/v2/privateGKE/ log-firewalls true` for the blueprint).',
  check(context) {
    return context.firewalls
      .filter((rule) => rule.action === 'deny' && !rule.logging && !rule.disabled && (rule.origin === 'manifest' || rule.origin === 'gcloud'))
      .map((rule) =>
        checkObservation(denyLoggingDisabled, {
          key: [rule.name],
          firewallRule: rule.name,
          resources: [`firewall:${rule.name}`],
          explanation: `${rule.direction} deny rule ${rule.name} (priority ${rule.priority}) has logging off: what it drops never appears as DENIED in Cloud Logging, so kfguard's log sink cannot diagnose it.`,
          remediation: {
            summary: `Enable logging on ${rule.name}.`,
            gcloud: `gcloud compute firewall-rules update ${shellArg(rule.name)} --enable-logging`,
            manifest: stringify({ spec: { enableLogging: true } }),
          },
        }),
      );
  },
};
