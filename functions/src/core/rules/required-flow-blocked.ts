import { checkObservation } from '../check/observation.js';
import { allowedProtocols, allowTrafficFix, describeProtocols } from '../check/firewall-fix.js';
import { requiredFlowProbes, type FlowProbe } from '../check/required-flows.js';
import type { FirewallEvaluator, Traffic, TrafficEnd } from '../firewall/evaluator.js';
import type { FirewallRule } from '../firewall/rule.js';
import type { CheckRule } from './check-rule.js';

const FLOW_TEXT: Record<FlowProbe['name'], string> = {
  'master-to-node': 'the control plane must reach the kubelet (10250) and webhooks on 443',
  'node-to-master': 'nodes and pods must reach the API server on 443, or nodes never register',
  'health-check-to-node': 'load balancer health checks must reach the backends, or they are marked unhealthy',
  'node-to-google-apis': 'nodes pull images and call Google APIs through the restricted VIP',
  'intra-cluster': 'nodes and pods of one cluster must reach each other',
};

/** The probes of one required flow, in one direction, that one rule blocks: one finding, one fix. */
interface BlockedFlow {
  name: FlowProbe['name'];
  rule: FirewallRule;
  flows: Traffic[];
}

function blockedFlows(probes: readonly FlowProbe[], evaluator: FirewallEvaluator): BlockedFlow[] {
  const blocked = new Map<string, BlockedFlow>();
  for (const probe of probes) {
    const verdict = evaluator.evaluate(probe.traffic);
    if (verdict.allowed) continue;
    const key = [probe.name, probe.traffic.direction, verdict.rule.name].join('|');
    const group = blocked.get(key) ?? { name: probe.name, rule: verdict.rule, flows: [] };
    group.flows.push(probe.traffic);
    blocked.set(key, group);
  }
  return [...blocked.values()];
}

const rangesOf = (ends: readonly TrafficEnd[]): string => [...new Set(ends.map((end) => end.range.text))].join(',');

export const requiredFlowBlocked: CheckRule = {
  id: 'required-flow-blocked',
  title: 'A flow a private cluster needs is blocked',
  severity: 'error',
  source: 'configuration',
  requires: ['firewalls', 'clusters'],
  why:
    'A private Kubeflow cluster works only if the control plane reaches nodes (tcp 443, 10250), nodes reach the control plane (tcp 443), health checks reach nodes (35.191.0.0/16 and 130.211.0.0/22 on 80 and 443), nodes reach the Google APIs VIP (tcp 443 to 199.36.153.4/30), and nodes and pods reach each other. A deny rule above the allow for any of them, or a missing allow under a deny-all, breaks it; kfguard evaluates the rules (and those GKE creates) with VPC semantics to find which.',
  remediation: 'Add the allow rule kfguard proposes for the flow (it is checked to let the flow through and open nothing more), or lower the blocking rule\'s reach.',
  check(context) {
    return blockedFlows(requiredFlowProbes(context), context.evaluator).map(({ name, rule, flows }) => {
      const { direction } = flows[0]!;
      const source = rangesOf(flows.map((flow) => flow.source));
      const destination = rangesOf(flows.map((flow) => flow.destination));
      const allowed = allowedProtocols(flows);
      const protocols = describeProtocols(allowed);
      const blocker = rule.origin === 'implied' ? `the implied ${rule.name.replace('implied-', '')} rule` : `firewall rule ${rule.name} (priority ${rule.priority})`;
      return checkObservation(requiredFlowBlocked, {
        key: [context.cluster?.name, name, direction, rule.name],
        flow: { name, direction, protocol: allowed.map((entry) => entry.protocol).join(','), source, destination, ports: [...new Set(allowed.flatMap((entry) => entry.ports))] },
        firewallRule: rule.name,
        resources: rule.origin === 'implied' ? [] : [`firewall:${rule.name}`],
        explanation: `${name}: ${source} → ${destination} on ${protocols} (${direction}) is blocked by ${blocker}; ${FLOW_TEXT[name]}.`,
        remediation: allowTrafficFix(context, flows, rule, name, `Allow ${name} (${protocols}).`),
      });
    });
  },
};
