import { checkObservation } from '../check/observation.js';
import { resolveWebhookPorts, type UnresolvedWebhookPort } from '../check/webhook-ports.js';
import { shellArg } from '../firewall/proposal.js';
import type { Remediation } from '../findings/finding.js';
import type { CheckRule } from './check-rule.js';

/** For a Service the inputs lack, its endpoints name the port the API server dials. */
function lookUpPort(unresolved: UnresolvedWebhookPort): Remediation {
  const service = unresolved.webhook.service;
  if (!service) return { summary: `Correct the webhook's clientConfig.url (${unresolved.target}).`, gcloud: null, manifest: null };
  return {
    summary: `Pass Service ${service.namespace}/${service.name} and the workload it selects (their manifests, or kubectl get services,deployments -A -o json) so kfguard can resolve the port and judge it; or read the port from the Service's endpoints and make sure the control plane may reach it.`,
    gcloud: `kubectl -n ${shellArg(service.namespace)} get endpoints ${shellArg(service.name)} -o jsonpath='{.subsets[*].ports[*].port}'`,
    manifest: null,
  };
}

export const webhookPortUnresolved: CheckRule = {
  id: 'webhook-port-unresolved',
  title: 'A webhook port could not be resolved',
  severity: 'warning',
  source: 'configuration',
  requires: ['webhooks'],
  why:
    "The API server dials a webhook on the container port behind its Service's targetPort, which on private GKE needs its own firewall rule. When the Service, or the workload that names its targetPort, is not among the inputs, kfguard cannot know that port. Guessing the Service's port (usually 443, always open from the control plane) would hide exactly the webhooks that time out, so the webhook is reported instead of judged.",
  remediation: 'Pass the Services and workloads behind the webhooks (their manifests, or `kubectl get services,deployments -A -o json`), or look the port up in the Service\'s endpoints and check it is allowed from the control plane.',
  check(context) {
    const byTarget = new Map<string, UnresolvedWebhookPort[]>();
    for (const unresolved of resolveWebhookPorts(context.config).unresolved) byTarget.set(unresolved.target, [...(byTarget.get(unresolved.target) ?? []), unresolved]);
    if (byTarget.size > 0) context.notes.push(`The ports of ${[...byTarget.keys()].join(', ')} could not be resolved from the inputs, so the webhooks calling them were not judged (see webhook-port-unresolved).`);
    return [...byTarget].map(([target, webhooks]) => {
      const names = [...new Set(webhooks.map((unresolved) => unresolved.webhook.name))];
      const kind = webhooks[0]!.webhook.service ? 'service' : 'url';
      return checkObservation(webhookPortUnresolved, {
        key: [target],
        resources: [...names.map((name) => `webhook:${name}`), `${kind}:${target}`],
        explanation: `kfguard cannot tell which port the control plane dials for ${names.join(', ')} (${target}): ${webhooks[0]!.reason}. Whether the firewall lets the control plane reach it was not judged.`,
        remediation: lookUpPort(webhooks[0]!),
      });
    });
  },
};
