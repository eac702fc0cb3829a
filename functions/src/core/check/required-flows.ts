import { CONTROL_PLANE_API_PORT, GKE_MASTER_PORTS } from '../net/well-known.js';
import type { Direction } from '../diagnosis/flow.js';
import type { Traffic, TrafficEnd } from '../firewall/evaluator.js';
import type { PortRange } from '../firewall/rule.js';
import type { CheckContext } from './context.js';

export type RequiredFlowName = 'master-to-node' | 'node-to-master' | 'health-check-to-node' | 'node-to-google-apis' | 'intra-cluster';

/** One concrete probe of a required flow: a protocol and port (range) between two ends. */
export interface FlowProbe {
  name: RequiredFlowName;
  traffic: Traffic;
}

const EVERY_PORT: PortRange = { from: 1, to: 65535 };
const HEALTH_CHECK_PORTS = [80, 443];
const INTRA_CLUSTER_PROTOCOLS = ['tcp', 'udp'];

/**
 * The flows a private Kubeflow cluster cannot work without, as probes the firewall evaluator can
 * judge. Only ends whose ranges are known are probed: the context's notes name the others.
 */
export function requiredFlowProbes(context: CheckContext): FlowProbe[] {
  const { master, nodes, pods, healthChecks, googleApis } = context.ends;
  const members = [nodes, pods].filter((end): end is TrafficEnd => end !== undefined);
  const probes: FlowProbe[] = [];
  const probe = (name: RequiredFlowName, direction: Direction, protocol: string, ports: PortRange, source: TrafficEnd, destination: TrafficEnd): void => {
    probes.push({ name, traffic: { direction, protocol, ports, source, destination } });
  };
  const port = (value: number): PortRange => ({ from: value, to: value });
  if (master) {
    for (const member of members) {
      for (const masterPort of GKE_MASTER_PORTS) probe('master-to-node', 'INGRESS', 'tcp', port(masterPort), master, member);
      probe('node-to-master', 'EGRESS', 'tcp', port(CONTROL_PLANE_API_PORT), member, master);
    }
  }
  if (nodes) {
    for (const checker of healthChecks) for (const checked of HEALTH_CHECK_PORTS) probe('health-check-to-node', 'INGRESS', 'tcp', port(checked), checker, nodes);
    probe('node-to-google-apis', 'EGRESS', 'tcp', port(443), nodes, googleApis);
  }
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
