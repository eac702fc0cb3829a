import { checkObservation } from '../check/observation.js';
import { allowTrafficFix } from '../check/firewall-fix.js';
import { resolveWebhookPorts, type WebhookPort } from '../check/webhook-ports.js';
import { webhooksServingPort } from '../kubernetes/known-webhooks.js';
import type { Traffic } from '../firewall/evaluator.js';
import type { CheckRule } from './check-rule.js';

export const webhookPortNotAllowed: CheckRule = {
  id: 'webhook-port-not-allowed',
  title: 'The control plane cannot reach a webhook port',
  severity: 'error',
  source: 'configuration',
  requires: ['webhooks', 'firewalls', 'clusters'],
  why:
    "Each admission webhook is called by the API server on the Service's targetPort, at the pod IP. On a private cluster only tcp 443 and 10250 are open from the control plane (GKE's `-master` rule), so every other webhook port needs an ingress rule from the control-plane /28, or the resources it guards cannot be created once the manifests are applied.",
  remediation: 'Add an ingress allow rule from the control-plane /28 to the nodes for each listed port, above any deny rule that covers it.',
  check(context) {
    const { master, pods } = context.ends;
    if (!master || !pods) return [];
    const byPort = new Map<number, WebhookPort[]>();
    for (const resolved of resolveWebhookPorts(context.config).resolved) byPort.set(resolved.port, [...(byPort.get(resolved.port) ?? []), resolved]);
    return [...byPort].flatMap(([port, webhooks]) => {
      const traffic: Traffic = { direction: 'INGRESS', protocol: 'tcp', ports: { from: port, to: port }, source: master, destination: pods };
      const verdict = context.evaluator.evaluate(traffic);
      if (verdict.allowed) return [];
      const names = [...new Set(webhooks.map((w) => w.webhook.name))];
      const known = webhooksServingPort(port);
      const blocker = verdict.rule.origin === 'implied' ? 'the implied deny-ingress rule (nothing allows it)' : `firewall rule ${verdict.rule.name} (priority ${verdict.rule.priority})`;
      return [
        checkObservation(webhookPortNotAllowed, {
          key: [context.cluster?.name, port],
          flow: { direction: 'INGRESS', protocol: 'tcp', source: master.range.text, destination: pods.range.text, ports: [port], sourceClass: 'control-plane', destinationClass: 'pod' },
          firewallRule: verdict.rule.name,
          resources: names.map((name) => `webhook:${name}`),
          explanation: `The control plane (${master.range.text}) cannot reach tcp:${port}, blocked by ${blocker}. ${names.length} webhook${names.length === 1 ? '' : 's'} call${names.length === 1 ? 's' : ''} it${known.length ? ` (${known.join(', ')})` : ''}: ${webhooks.map((w) => `${w.webhook.name} via ${w.path}`).join('; ')}.`,
          remediation: allowTrafficFix(context, [traffic], verdict.rule, 'webhook', `Allow tcp:${port} from the control plane ${master.range.text} to the nodes.`),
        }),
      ];
    });
  },
};
