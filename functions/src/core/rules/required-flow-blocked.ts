import { checkObservation } from '../check/observation.js';
import { blockedFlowSummary, blockedProtocols } from '../check/firewall-fix.js';
import { blockedRequiredFlows, requiredFlowFix, requiredFlowProbes, type FlowProbe } from '../check/required-flows.js';
import { allowSpec } from '../firewall/proposal.js';
import { describeRule } from '../firewall/rule.js';
import type { CheckRule } from './check-rule.js';
import { blockedFlowCause } from '../findings/causes.js';

/** The far side of each flow: what ties its findings to the denials and failures of the same cause. */
const FAR_SIDE: Record<FlowProbe['name'], string> = {
  'master-to-node': 'control-plane',
  'node-to-master': 'control-plane',
  'health-check-to-node': 'health-check',
  'node-to-google-apis': 'google-apis',
  'intra-cluster': 'cluster',
};

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
  requires: ['firewalls', 'clusters'],
  why:
    'A private Kubeflow cluster works only if the control plane reaches nodes (tcp 443, 10250), nodes reach the control plane (tcp 443), load balancer health checks reach the ports they probe, nodes reach the Google APIs VIP (tcp 443 to 199.36.153.4/30), and nodes and pods reach each other. kfguard evaluates every rule in force (hierarchical and network firewall policies, VPC rules, the rules GKE creates, the implied rules) in Cloud NGFW\'s order over whole ranges, and reports exactly the pieces of each flow that a rule denies.',
  remediation: 'Add the rule kfguard proposes at the layer that decides (it is proved against the whole firewall stack to let the blocked pieces through and open nothing more), or narrow the blocking rule.',
  check(context) {
    const probes = requiredFlowProbes(context);
    return blockedRequiredFlows(context, probes).map((blocked) => {
      const { name, rule, pieces } = blocked;
      const flow = blockedFlowSummary(name, pieces);
      const protocols = allowSpec(blockedProtocols(pieces));
      return checkObservation(requiredFlowBlocked, {
        key: [context.cluster?.name, name, flow.direction, flow.protocol, rule.name],
        flow,
        firewallRule: rule.name,
        firewallLayer: rule.layer,
        cause: blockedFlowCause(flow.direction, FAR_SIDE[name], flow.protocol, flow.ports, rule.name),
        resources: [...(context.cluster?.name ? [`cluster:${context.cluster.name}`] : []), ...(rule.layer === 'implied' ? [] : [`firewall:${rule.name}`])],
        explanation: `${name}: ${flow.source} → ${flow.destination} on ${protocols} (${flow.direction}) is blocked by ${describeRule(rule)}; ${FLOW_TEXT[name]}.`,
        remediation: requiredFlowFix(context, blocked, probes),
      });
    });
  },
};
