import { parseCidr } from '../net/cidr.js';
import type { ClusterModel } from '../model/cluster.js';
import type { Traffic, TrafficEnd } from '../firewall/evaluator.js';
import { portRange } from '../firewall/evaluator.js';
import type { DeniedFlow, Endpoint } from './flow.js';

/**
 * The denied connection as evaluator traffic: each end its exact address; cluster members carry
 * the nodes' tags and service accounts, the instance the rule was evaluated on also the denying
 * rule's target tags (it had them, or the rule would not have applied).
 */
export function trafficOfFlow(flow: DeniedFlow, model: ClusterModel): Traffic {
  const end = (endpoint: Endpoint, evaluatedOn: boolean): TrafficEnd => {
    const member = endpoint.cls === 'node' || endpoint.cls === 'pod';
    const tags = new Set([...(member ? model.nodeTags : []), ...(evaluatedOn ? (flow.rule?.targetTags ?? []) : [])]);
    return {
      range: parseCidr(`${endpoint.ip.text}/${endpoint.ip.family === 4 ? 32 : 128}`),
      tags: [...tags],
      serviceAccounts: member ? (model.nodeServiceAccounts ?? []) : [],
      primaryAddress: endpoint.cls !== 'pod',
      instance: member || evaluatedOn || endpoint.vm !== undefined,
    };
  };
  return {
    direction: flow.direction,
    protocol: flow.protocol,
    ports: portRange(flow.dstPort),
    source: end(flow.src, flow.direction === 'EGRESS'),
    destination: end(flow.dst, flow.direction === 'INGRESS'),
  };
}
