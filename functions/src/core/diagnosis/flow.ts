import { anyContains, cidrContainsIp, isPrivateAddress, parseCidr, parseIp, type Cidr, type IpAddress } from '../net/cidr.js';
import {
  GOOGLE_APIS_VIP_RANGES,
  GOOGLE_PUBLIC_RANGES,
  HEALTH_CHECK_RANGES,
  IAP_RANGES,
  METADATA_SERVER,
} from '../net/well-known.js';
import type { ClusterModel } from '../model/cluster.js';
import { parseRuleReference, protocolName, type FirewallPayload } from '../logs/firewall-log.js';
import type { FirewallLayer, FirewallRule } from '../firewall/rule.js';

export type Direction = 'INGRESS' | 'EGRESS';

export type EndpointClass =
  | 'control-plane'
  | 'node'
  | 'pod'
  | 'service'
  | 'health-check'
  | 'iap'
  | 'google-apis'
  | 'metadata'
  | 'google-public'
  | 'internet'
  | 'private';

export interface Endpoint {
  ip: IpAddress;
  cls: EndpointClass;
  /** The range that put the address in its class, when one did. */
  range?: Cidr;
  vm?: string;
  /** Classified from hints in the entry (VM names, tags) rather than from known ranges. */
  inferred: boolean;
}

/** The rule that denied a flow: as its log entry names it, or as the rules in force decide it. */
export interface DenyingRule {
  reference: string;
  /** A VPC rule's name, or `firewallPolicy:POLICY/priority:N`. */
  name: string;
  layer: FirewallLayer;
  /** The firewall policy's id or name, for policy rules. */
  policy?: string;
  network?: string;
  priority?: number;
  targetTags: string[];
  /** The rule itself, when the rules in force were given (`analyze --rules`). */
  inForce?: FirewallRule;
}

/** A denied connection, with each end classified against the cluster model. */
export interface DeniedFlow {
  direction: Direction;
  protocol: string;
  src: Endpoint;
  dst: Endpoint;
  dstPort?: number;
  rule?: DenyingRule;
  network?: string;
  project?: string;
  /** The VM on whose interface the rule was evaluated. */
  instanceVm?: string;
}

export const CLUSTER_CLASSES: ReadonlySet<EndpointClass> = new Set(['node', 'pod', 'service']);
/** Classes that can originate traffic from inside the VPC. */
export const INTERNAL_CLASSES: ReadonlySet<EndpointClass> = new Set(['node', 'pod', 'service', 'private']);

export class FlowError extends Error {}

const LIKELY_MASTER_BLOCK = parseCidr('172.16.0.0/12');
const GKE_NODE_VM = /^gke-.+/;

function isNodeTag(tag: string, model: ClusterModel): boolean {
  return model.nodeTags.includes(tag) || /^gke-.+-node$/.test(tag);
}

const WELL_KNOWN_CLASSES: readonly [EndpointClass, readonly Cidr[]][] = [
  ['health-check', HEALTH_CHECK_RANGES],
  ['iap', IAP_RANGES],
  ['google-apis', GOOGLE_APIS_VIP_RANGES],
  ['metadata', [METADATA_SERVER]],
];

function firstMatch(table: readonly (readonly [EndpointClass, readonly Cidr[]])[], ip: IpAddress): Pick<Endpoint, 'cls' | 'range'> | undefined {
  for (const [cls, ranges] of table) {
    const range = anyContains(ranges, ip);
    if (range) return { cls, range };
  }
  return undefined;
}

function classifyByRanges(ip: IpAddress, model: ClusterModel): Pick<Endpoint, 'cls' | 'range'> | undefined {
  if (model.masterCidr && cidrContainsIp(model.masterCidr, ip)) return { cls: 'control-plane', range: model.masterCidr };
  return (
    firstMatch(WELL_KNOWN_CLASSES, ip) ??
    firstMatch(
      [
        ['pod', model.podCidrs],
        ['service', model.serviceCidrs],
        ['node', model.nodeCidrs],
      ],
      ip,
    )
  );
}

function fallbackClass(ip: IpAddress): Pick<Endpoint, 'cls' | 'range'> {
  if (isPrivateAddress(ip)) return { cls: 'private' };
  const google = anyContains(GOOGLE_PUBLIC_RANGES, ip);
  return google ? { cls: 'google-public', range: google } : { cls: 'internet' };
}

function protocolOf(payload: FirewallPayload): string {
  const name = protocolName(payload.connection.protocol);
  if (!name) throw new FlowError(`jsonPayload.connection.protocol: unknown protocol ${JSON.stringify(payload.connection.protocol)}`);
  return name;
}

function ipOf(text: string, field: string): IpAddress {
  const ip = parseIp(text);
  if (!ip) throw new FlowError(`jsonPayload.connection.${field}: ${JSON.stringify(text)} is not an IP address`);
  return ip;
}

/** The class an address would get before any hint from the entry: known ranges, else what the address itself is. */
function addressClass(ip: IpAddress, model: ClusterModel): EndpointClass {
  return (classifyByRanges(ip, model) ?? fallbackClass(ip)).cls;
}

/**
 * The direction of an entry whose rule metadata is missing. The VM that reported it is the source
 * for EGRESS and the destination for INGRESS, so when the entry names the VM at either end, that
 * decides; otherwise traffic from inside the VPC to outside it is EGRESS, from outside in INGRESS,
 * and otherwise EGRESS when the source is a known cluster member.
 */
function inferDirection(payload: FirewallPayload, srcIp: IpAddress, dstIp: IpAddress, model: ClusterModel): Direction {
  const reporter = payload.instance?.vm_name;
  if (reporter !== undefined) {
    if (payload.src_instance?.vm_name === reporter) return 'EGRESS';
    if (payload.dest_instance?.vm_name === reporter) return 'INGRESS';
  }
  const src = addressClass(srcIp, model);
  const dst = addressClass(dstIp, model);
  const srcInside = INTERNAL_CLASSES.has(src);
  const dstInside = INTERNAL_CLASSES.has(dst);
  if (srcInside !== dstInside) return srcInside ? 'EGRESS' : 'INGRESS';
  return CLUSTER_CLASSES.has(src) ? 'EGRESS' : 'INGRESS';
}

/**
 * Builds a classified flow from a DENIED firewall log payload. Known ranges decide first; without
 * them, the entry's own hints do: a `gke-` VM or a node tag makes that side a node, and a
 * 172.16.0.0/12 address that is no VM of the project, talking to a node, is taken as the control
 * plane's /28 (the range GKE private clusters conventionally use).
 */
export function flowFromFirewallPayload(payload: FirewallPayload, model: ClusterModel): DeniedFlow {
  const { connection, rule_details: details } = payload;
  const protocol = protocolOf(payload);
  const srcIp = ipOf(connection.src_ip, 'src_ip');
  const dstIp = ipOf(connection.dest_ip, 'dest_ip');
  const declared = details?.direction?.toUpperCase();
  const targetTags = details?.target_tag ?? [];
  const instanceVm = payload.instance?.vm_name;
  const remoteVm = payload.remote_instance?.vm_name;
  const instanceIsNode = (instanceVm !== undefined && GKE_NODE_VM.test(instanceVm)) || targetTags.some((tag) => isNodeTag(tag, model));
  const remoteIsNode = remoteVm !== undefined && GKE_NODE_VM.test(remoteVm);

  const srcKnown = classifyByRanges(srcIp, model);
  const dstKnown = classifyByRanges(dstIp, model);
  const direction: Direction = declared === 'INGRESS' || declared === 'EGRESS' ? declared : inferDirection(payload, srcIp, dstIp, model);
  const [srcVm, dstVm] = direction === 'INGRESS' ? [remoteVm, instanceVm] : [instanceVm, remoteVm];
  const [srcIsNode, dstIsNode] = direction === 'INGRESS' ? [remoteIsNode, instanceIsNode] : [instanceIsNode, remoteIsNode];

  const endpoint = (ip: IpAddress, known: Pick<Endpoint, 'cls' | 'range'> | undefined, vm: string | undefined, isNode: boolean, peerIsNode: boolean, isRemote: boolean): Endpoint => {
    if (known) return { ip, ...known, vm, inferred: false };
    if (isNode) return { ip, cls: 'node', vm, inferred: true };
    if (!model.masterCidr && isRemote && !vm && peerIsNode && cidrContainsIp(LIKELY_MASTER_BLOCK, ip)) {
      return { ip, cls: 'control-plane', range: parseCidr(`${ip.text}/28`), inferred: true };
    }
    return { ip, ...fallbackClass(ip), vm, inferred: false };
  };
  const src = endpoint(srcIp, srcKnown, srcVm, srcIsNode, dstIsNode || dstKnown?.cls === 'node' || dstKnown?.cls === 'pod', direction === 'INGRESS');
  const dst = endpoint(dstIp, dstKnown, dstVm, dstIsNode, srcIsNode || srcKnown?.cls === 'node' || srcKnown?.cls === 'pod', direction === 'EGRESS');

  const flow: DeniedFlow = { direction, protocol, src, dst };
  if (connection.dest_port !== undefined && protocol !== 'icmp' && protocol !== 'icmpv6') flow.dstPort = connection.dest_port;
  if (details?.reference) {
    const ref = parseRuleReference(details.reference, details.priority);
    flow.rule = { reference: details.reference, name: ref.name, layer: ref.layer, targetTags };
    if (ref.network) flow.rule.network = ref.network;
    if (ref.policy) flow.rule.policy = ref.policy;
    if (details.priority !== undefined) flow.rule.priority = details.priority;
  }
  const network = payload.vpc?.vpc_name ?? flow.rule?.network ?? model.network;
  if (network) flow.network = network;
  const project = payload.vpc?.project_id ?? payload.instance?.project_id ?? model.project;
  if (project) flow.project = project;
  if (instanceVm) flow.instanceVm = instanceVm;
  return flow;
}
