import { checkObservation } from '../check/observation.js';
import { blockedFlowSummary, judgeRequired, type BlockedPiece } from '../check/firewall-fix.js';
import { piecesFix, requiredFlowProbes, requiredFlows, type RequiredFlows } from '../check/required-flows.js';
import { resolveWebhookPorts, webhookFlows, type WebhookPort } from '../check/webhook-ports.js';
import { webhooksServingPort } from '../kubernetes/known-webhooks.js';
import { describeRule, type FirewallRule } from '../firewall/rule.js';
import type { CheckRule } from './check-rule.js';
import { blockedFlowCause } from '../findings/causes.js';

export const webhookPortNotAllowed: CheckRule = {
  id: 'webhook-port-not-allowed',
  title: 'The control plane cannot reach a webhook port',
  severity: 'error',
  source: 'configuration',
  requires: ['webhooks', 'firewalls', 'clusters'],
  why:
    "Each admission webhook is called by the API server on the Service's targetPort, at the pod IP. On a private cluster only tcp 443 and 10250 are open from the control plane (GKE's `-master` rule), so every other webhook port needs an ingress rule from the control-plane /28, or the resources it guards cannot be created once the manifests are applied.",
  remediation: 'Add an ingress allow rule from the control-plane /28 to the nodes for each listed port, at the layer that decides and above any deny that covers it.',
  check(context) {
    const { master } = context.ends;
    if (!master || context.ends.pods.length === 0) return [];
    const byPort = new Map<number, WebhookPort[]>();
    for (const resolved of resolveWebhookPorts(context.config).resolved) byPort.set(resolved.port, [...(byPort.get(resolved.port) ?? []), resolved]);
    const flows = [...byPort.keys()].flatMap((port) => webhookFlows(context, port));
    const probes = requiredFlowProbes(context);
    const needed = [...probes.map((probe) => probe.traffic), ...flows];
    // Judged only once a port is blocked: a webhook on a port a required flow needs gets that flow's fix.
    let required: RequiredFlows | undefined;
    const requiredOnce = (): RequiredFlows => (required ??= requiredFlows(context, probes));
    return [...byPort].flatMap(([port, webhooks]) => {
      const blockedBy = new Map<FirewallRule, BlockedPiece[]>();
      for (const traffic of flows.filter((flow) => flow.ports.from === port)) {
        for (const decision of judgeRequired(context, `webhook port tcp:${port}`, traffic).blocked) blockedBy.set(decision.rule, [...(blockedBy.get(decision.rule) ?? []), { traffic, decision }]);
      }
      const names = [...new Set(webhooks.map((w) => w.webhook.name))];
      const known = webhooksServingPort(port);
      return [...blockedBy].map(([rule, pieces]) =>
        checkObservation(webhookPortNotAllowed, {
          key: [context.cluster?.name, port, rule.name],
          flow: blockedFlowSummary(undefined, pieces, { sourceClass: 'control-plane', destinationClass: 'pod' }),
          firewallRule: rule.name,
          firewallLayer: rule.layer,
          resources: names.map((name) => `webhook:${name}`),
          cause: blockedFlowCause('INGRESS', 'control-plane', 'tcp', [port], rule.name),
          explanation: `The control plane (${master.range.text}) cannot reach tcp:${port}, blocked by ${rule.layer === 'implied' ? 'the implied deny-ingress rule (nothing allows it)' : describeRule(rule)}. ${names.length} webhook${names.length === 1 ? '' : 's'} call${names.length === 1 ? 's' : ''} it${known.length ? ` (${known.join(', ')})` : ''}: ${webhooks.map((w) => `${w.webhook.name} via ${w.path}`).join('; ')}.`,
          remediation: piecesFix(context, requiredOnce(), pieces, rule, 'webhook', `Allow tcp:${port} from the control plane ${master.range.text} to the nodes.`, needed),
        }),
      );
    });
  },
};
