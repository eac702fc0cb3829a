import { cidrContainsCidr } from '../net/cidr.js';
import { CONTROL_PLANE_API_PORT, GKE_MASTER_PORTS } from '../net/well-known.js';
import type { Direction } from '../diagnosis/flow.js';
import type { Remediation } from '../findings/finding.js';
import type { Traffic, TrafficEnd } from '../firewall/evaluator.js';
import { allowSpec } from '../firewall/proposal.js';
import type { FirewallRule, PortRange } from '../firewall/rule.js';
import { memberEnds, type FirewallContext } from './context.js';
import { blockedPiecesFix, blockedProtocols, judgeRequired, type BlockedPiece, type NeededTraffic } from './firewall-fix.js';

export type RequiredFlowName = 'master-to-node' | 'node-to-master' | 'health-check-to-node' | 'node-to-google-apis' | 'intra-cluster';

/** One required flow between two ends, on one protocol and port range, as the evaluator judges it. */
export interface FlowProbe {
  name: RequiredFlowName;
  traffic: Traffic;
}

const EVERY_PORT: PortRange = { from: 1, to: 65535 };
const INTRA_CLUSTER_PROTOCOLS = ['tcp', 'udp'];
const port = (value: number): PortRange => ({ from: value, to: value });

/**
 * The flows a private Kubeflow cluster cannot work without. Only ends whose ranges are known are
 * probed, and health checks only on the ports the cluster's load balancers check: the context's
 * notes name the rest.
 */
export function requiredFlowProbes(context: FirewallContext): FlowProbe[] {
  const { master, controlPlane, nodes, pods, healthChecks, googleApis } = context.ends;
  const members = memberEnds(context);
  const probes: FlowProbe[] = [];
  const probe = (name: RequiredFlowName, direction: Direction, protocol: string, ports: PortRange, source: TrafficEnd, destination: TrafficEnd): void => {
    probes.push({ name, traffic: { direction, protocol, ports, source, destination } });
  };
  // With Private Service Connect the control plane's calls come from the pods, which intra-cluster judges.
  if (master && context.cluster?.controlPlaneConnection !== 'psc') {
    for (const member of members) for (const masterPort of GKE_MASTER_PORTS) probe('master-to-node', 'INGRESS', 'tcp', port(masterPort), master, member);
  }
  if (controlPlane) for (const member of members) probe('node-to-master', 'EGRESS', 'tcp', port(CONTROL_PLANE_API_PORT), member, controlPlane);
  for (const { ports, on } of context.healthChecked) {
    const checked = [...(on.includes('nodes') ? nodes : []), ...(on.includes('pods') ? pods : [])];
    for (const checker of healthChecks) for (const backend of checked) probe('health-check-to-node', 'INGRESS', 'tcp', ports, checker, backend);
  }
  for (const node of nodes) probe('node-to-google-apis', 'EGRESS', 'tcp', port(443), node, googleApis);
  for (const protocol of INTRA_CLUSTER_PROTOCOLS) {
    for (const from of members) {
      for (const to of members) {
        probe('intra-cluster', 'EGRESS', protocol, EVERY_PORT, from, to);
        probe('intra-cluster', 'INGRESS', protocol, EVERY_PORT, from, to);
      }
    }
  }
  return probes;
}

/** The pieces of one required flow, in one direction and protocol, that one rule blocks: one finding, one fix. */
export interface BlockedFlow {
  name: RequiredFlowName;
  rule: FirewallRule;
  pieces: BlockedPiece[];
}

export function blockedRequiredFlows(context: FirewallContext, probes: readonly FlowProbe[]): BlockedFlow[] {
  const blocked = new Map<string, BlockedFlow>();
  for (const probe of probes) {
    for (const decision of judgeRequired(context, probe.name, probe.traffic).blocked) {
      const key = [probe.name, probe.traffic.direction, probe.traffic.protocol, decision.rule.name].join('|');
      const group = blocked.get(key) ?? { name: probe.name, rule: decision.rule, pieces: [] };
      group.pieces.push({ traffic: probe.traffic, decision });
      blocked.set(key, group);
    }
  }
  return [...blocked.values()];
}

/** The one rule that lets a blocked required flow through, proved against every flow the cluster needs. */
export function requiredFlowFix(context: FirewallContext, flow: BlockedFlow, probes: readonly FlowProbe[]): Remediation {
  const protocols = allowSpec(blockedProtocols(flow.pieces));
  return blockedPiecesFix(context, flow.pieces, flow.rule, flow.name, `Allow ${flow.name} (${protocols}).`, probes.map((probe) => probe.traffic));
}

/** The required flows of a cluster and the blocked ones among them. */
export interface RequiredFlows {
  probes: FlowProbe[];
  blocked: BlockedFlow[];
}

export function requiredFlows(context: FirewallContext, probes = requiredFlowProbes(context)): RequiredFlows {
  return { probes, blocked: blockedRequiredFlows(context, probes) };
}

/** Whether some probe of the blocked required flow holds all of this traffic. */
function within(traffic: Traffic, flow: BlockedFlow): boolean {
  return flow.pieces.some(({ traffic: probe }) =>
    probe.direction === traffic.direction &&
    probe.protocol === traffic.protocol &&
    probe.ports.from <= traffic.ports.from &&
    traffic.ports.to <= probe.ports.to &&
    cidrContainsCidr(probe.source.range, traffic.source.range) &&
    cidrContainsCidr(probe.destination.range, traffic.destination.range),
  );
}

/**
 * The fix `check` proposes for pieces one rule blocks: the fix of the blocked required flow that
 * holds them all, when the same rule blocks one (a cause gets one rule, whichever check or log
 * entry saw it), else a rule for exactly these pieces, named after `label`.
 */
export function piecesFix(context: FirewallContext, required: RequiredFlows, pieces: readonly BlockedPiece[], rule: FirewallRule, label: string, summary: string, needed: NeededTraffic): Remediation {
  const flow = required.blocked.find((candidate) => candidate.rule === rule && pieces.every((piece) => within(piece.traffic, candidate)));
  return flow ? requiredFlowFix(context, flow, required.probes) : blockedPiecesFix(context, pieces, rule, label, summary, needed);
}
