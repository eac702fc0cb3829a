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
  /** Probes of one flow share these labels so blocked ports fold into one finding. */
  sourceLabel: string;
  destinationLabel: string;
  /** The single port probed, or undefined for "every port". */
  port?: number;
}

const EVERY_PORT: PortRange = { from: 1, to: 65535 };

function probe(name: RequiredFlowName, direction: Direction, protocol: string, port: number | undefined, source: TrafficEnd, destination: TrafficEnd, labels: [string, string]): FlowProbe {
  const probeOf: FlowProbe = {
    name,
    traffic: { direction, protocol, ports: port === undefined ? EVERY_PORT : { from: port, to: port }, source, destination },
    sourceLabel: labels[0],
    destinationLabel: labels[1],
  };
  if (port !== undefined) probeOf.port = port;
  return probeOf;
}

/** The flows a private Kubeflow cluster cannot work without, as probes the firewall evaluator can judge. */
export function requiredFlowProbes(context: CheckContext): FlowProbe[] {
  const { master, nodes, pods, healthChecks, googleApis } = context.ends;
  const node = nodes.range.text;
  const pod = pods.range.text;
  const probes: FlowProbe[] = [];
  if (master) {
    for (const port of GKE_MASTER_PORTS) {
      probes.push(probe('master-to-node', 'INGRESS', 'tcp', port, master, nodes, [master.range.text, node]));
      probes.push(probe('master-to-node', 'INGRESS', 'tcp', port, master, pods, [master.range.text, pod]));
    }
    probes.push(probe('node-to-master', 'EGRESS', 'tcp', CONTROL_PLANE_API_PORT, nodes, master, [node, master.range.text]));
    probes.push(probe('node-to-master', 'EGRESS', 'tcp', CONTROL_PLANE_API_PORT, pods, master, [pod, master.range.text]));
  }
  const checkers = healthChecks.map((end) => end.range.text).join(',');
  for (const checker of healthChecks) {
    for (const port of [80, 443]) probes.push(probe('health-check-to-node', 'INGRESS', 'tcp', port, checker, nodes, [checkers, node]));
  }
  probes.push(probe('node-to-google-apis', 'EGRESS', 'tcp', 443, nodes, googleApis, [node, googleApis.range.text]));
  const members: [TrafficEnd, string][] = [
    [nodes, node],
    [pods, pod],
  ];
  for (const protocol of ['tcp', 'udp']) {
    for (const [from, fromLabel] of members) {
      for (const [to, toLabel] of members) {
        probes.push(probe('intra-cluster', 'EGRESS', protocol, undefined, from, to, [fromLabel, toLabel]));
        probes.push(probe('intra-cluster', 'INGRESS', protocol, undefined, from, to, [fromLabel, toLabel]));
      }
    }
  }
  return probes;
}
