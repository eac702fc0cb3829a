import { checkObservation } from '../check/observation.js';
import { allowTrafficFix } from '../check/firewall-fix.js';
import { requiredFlowProbes, type FlowProbe } from '../check/required-flows.js';
import type { FirewallRule } from '../firewall/rule.js';
import type { CheckRule } from './check-rule.js';

const FLOW_TEXT: Record<FlowProbe['name'], string> = {
  'master-to-node': 'the control plane must reach the kubelet (10250) and webhooks on 443',
  'node-to-master': 'nodes and pods must reach the API server on 443, or nodes never register',
  'health-check-to-node': 'load balancer health checks must reach the backends, or they are marked unhealthy',
  'node-to-google-apis': 'nodes pull images and call Google APIs through the restricted VIP',
  'intra-cluster': 'nodes and pods of one cluster must reach each other',
};

export const requiredFlowBlocked: CheckRule = {
  id: 'required-flow-blocked',
  title: 'A flow a private cluster needs is blocked',
  severity: 'error',
  source: 'configuration',
  requires: ['firewalls'],
  why:
    'A private Kubeflow cluster works only if the control plane reaches nodes (tcp 443, 10250), nodes reach the control plane (tcp 443), health checks reach nodes (35.191.0.0/16 and 130.211.0.0/22 on 80 and 443), nodes reach the Google APIs VIP (tcp 443 to 199.36.153.4/30), and nodes and pods reach each other. A deny rule above the allow for any of them, or a missing allow under a deny-all, breaks it; kfguard evaluates the rules (and those GKE creates) with VPC semantics to find which.',
  remediation: 'Add the allow rule kfguard proposes for the flow (it is checked to let the flow through and open nothing more), or lower the blocking rule\'s reach.',
  check(context) {
    const blocked = new Map<string, { probe: FlowProbe; rule: FirewallRule; ports: number[] }>();
    for (const probe of requiredFlowProbes(context)) {
      const verdict = context.evaluator.evaluate(probe.traffic);
      if (verdict.allowed) continue;
      const key = [probe.name, probe.traffic.direction, probe.traffic.protocol, probe.sourceLabel, probe.destinationLabel, verdict.rule.name].join('|');
      const entry = blocked.get(key) ?? { probe, rule: verdict.rule, ports: [] };
      if (probe.port !== undefined && !entry.ports.includes(probe.port)) entry.ports.push(probe.port);
      blocked.set(key, entry);
    }
    return [...blocked.values()].map(({ probe, rule, ports }) => {
      const { traffic } = probe;
      const portText = ports.length > 0 ? `${traffic.protocol}:${ports.join(',')}` : `${traffic.protocol} (all ports)`;
      const blocker = rule.origin === 'implied' ? `the implied ${rule.name.replace('implied-', '')} rule` : `firewall rule ${rule.name} (priority ${rule.priority})`;
      return checkObservation(requiredFlowBlocked, {
        key: [context.cluster?.name, probe.name, traffic.direction, traffic.protocol, probe.sourceLabel, probe.destinationLabel, rule.name],
        flow: { name: probe.name, direction: traffic.direction, protocol: traffic.protocol, source: probe.sourceLabel, destination: probe.destinationLabel, ports },
        firewallRule: rule.name,
        resources: rule.origin === 'implied' ? [] : [`firewall:${rule.name}`],
        explanation: `${probe.name}: ${probe.sourceLabel} → ${probe.destinationLabel} on ${portText} (${traffic.direction}) is blocked by ${blocker}; ${FLOW_TEXT[probe.name]}.`,
        remediation: allowTrafficFix(context, traffic, ports, rule, probe.name, `Allow ${probe.name} (${portText}).`),
      });
    });
  },
};
