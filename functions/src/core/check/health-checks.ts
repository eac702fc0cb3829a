import { cidrContainsCidr } from '../net/cidr.js';
import { HEALTH_CHECK_RANGES, LEGACY_HEALTH_CHECK_RANGES } from '../net/well-known.js';
import type { NetworkConfig, ServiceSpec } from '../config/specs.js';
import { isLoadBalancerRuleName } from '../firewall/gke-rules.js';
import { portText } from '../firewall/proposal.js';
import { firewallRuleDefaults, type FirewallRule, type PortRange } from '../firewall/rule.js';
import { namedContainerPort } from './webhook-ports.js';

/** kube-proxy's health endpoint, which GKE's load balancers check for `externalTrafficPolicy: Cluster`. */
export const KUBE_PROXY_HEALTH_PORT = 10256;
const NODE_PORTS: PortRange = { from: 30000, to: 32767 };

const PROBERS = [...HEALTH_CHECK_RANGES, ...LEGACY_HEALTH_CHECK_RANGES];

/** Where probes land: node ports on the nodes, container-native (NEG) backends on the pods. */
export type ProbedEnd = 'nodes' | 'pods';

/** A probed port range and where the probes land. */
export interface CheckedPorts {
  ports: PortRange;
  on: ProbedEnd[];
  /** What asked for it: "Service istio-system/istio-ingressgateway (LoadBalancer, externalTrafficPolicy Cluster)". */
  because: string;
  /** Found in a GKE load balancer rule (live), or implied by a manifest (GKE will create the rule when it is applied). */
  from: 'rule' | 'manifest';
}

const isProbeSource = (rule: FirewallRule): boolean =>
  rule.sourceRanges.length > 0 && rule.sourceRanges.every((range) => PROBERS.some((prober) => cidrContainsCidr(prober, range)));

/**
 * Node ports (and kube-proxy's) are checked on the nodes. Other ports GKE opened on the node tag
 * may be container-native backends on the pods or ports on the nodes: the rule opens both, so both
 * must be reachable.
 */
const landsOn = (ports: PortRange): ProbedEnd[] => ((ports.from >= NODE_PORTS.from && ports.to <= NODE_PORTS.to) || (ports.from === KUBE_PROXY_HEALTH_PORT && ports.to === KUBE_PROXY_HEALTH_PORT) ? ['nodes'] : ['nodes', 'pods']);

/** The ports GKE opened for the cluster's load balancers' probers: its `k8s-fw-l7-*`, `k8s-*-hc`, `k8s2-*` rules on the nodes' tags. */
function loadBalancerRulePorts(rules: readonly FirewallRule[], nodeTags: readonly string[]): CheckedPorts[] {
  return rules
    .filter((rule) => !rule.policy && rule.direction === 'INGRESS' && rule.action === 'allow' && isLoadBalancerRuleName(rule.name) && isProbeSource(rule) && rule.targetTags.some((tag) => nodeTags.includes(tag)))
    .flatMap((rule) =>
      rule.protocols
        .filter((spec) => spec.protocol === 'tcp')
        .flatMap((spec) => (spec.ports.length > 0 ? spec.ports : [{ from: 1, to: 65535 }]))
        .map((ports): CheckedPorts => ({ ports, on: landsOn(ports), because: `GKE's load balancer rule ${rule.name} (tcp:${portText(ports)})`, from: 'rule' })),
    );
}

function servicePorts(service: ServiceSpec): CheckedPorts[] {
  if (service.type !== 'LoadBalancer') return [];
  const where = `Service ${service.namespace}/${service.name} (LoadBalancer`;
  if (service.externalTrafficPolicy === 'Local') {
    return service.healthCheckNodePort ? [{ ports: { from: service.healthCheckNodePort, to: service.healthCheckNodePort }, on: ['nodes'], because: `${where}, healthCheckNodePort)`, from: 'manifest' }] : [];
  }
  return [{ ports: { from: KUBE_PROXY_HEALTH_PORT, to: KUBE_PROXY_HEALTH_PORT }, on: ['nodes'], because: `${where}, externalTrafficPolicy Cluster: kube-proxy's health port)`, from: 'manifest' }];
}

/** An Ingress backend is checked on the pods' port when the Service is container-native, else on its node port. */
function ingressPorts(config: NetworkConfig): { checked: CheckedPorts[]; unknown: string[] } {
  const checked: CheckedPorts[] = [];
  const unknown: string[] = [];
  for (const ingress of config.ingresses) {
    for (const backend of ingress.backends) {
      const where = `Ingress ${ingress.namespace}/${ingress.name} → Service ${backend.service}`;
      const service = config.services.find((candidate) => candidate.namespace === ingress.namespace && candidate.name === backend.service);
      const port = service?.ports.find((candidate) => candidate.port === backend.port || candidate.name === backend.port);
      if (!service || !port) {
        unknown.push(`${where}:${backend.port}`);
        continue;
      }
      const target = typeof port.targetPort === 'number' ? port.targetPort : namedContainerPort(config, service, port.targetPort);
      if (service.negIngress && target !== undefined) checked.push({ ports: { from: target, to: target }, on: ['pods'], because: `${where} (container-native, targetPort ${target})`, from: 'manifest' });
      else if (!service.negIngress && port.nodePort) checked.push({ ports: { from: port.nodePort, to: port.nodePort }, on: ['nodes'], because: `${where} (nodePort ${port.nodePort})`, from: 'manifest' });
      else unknown.push(`${where}:${backend.port}`);
    }
  }
  return { checked, unknown };
}

/**
 * The ports the cluster's load balancers health-check, and where: from GKE's own load balancer
 * rules in the inputs and from the Services and Ingresses given as manifests. Nothing is invented:
 * with none known, health-check flows are not judged and the notes say so.
 */
export function healthCheckedPorts(config: NetworkConfig, rules: readonly FirewallRule[], nodeTags: readonly string[]): { checked: CheckedPorts[]; notes: string[] } {
  const ingress = ingressPorts(config);
  const checked = [...loadBalancerRulePorts(rules, nodeTags), ...config.services.flatMap(servicePorts), ...ingress.checked];
  const notes = ingress.unknown.length > 0 ? [`The health-checked ports of ${ingress.unknown.join(', ')} are unknown (no nodePort, or a container-native backend whose port kfguard could not resolve): they were not judged.`] : [];
  const unique = new Map(checked.map((entry) => [`${entry.on.join(',')}|${entry.ports.from}-${entry.ports.to}`, entry]));
  return { checked: [...unique.values()], notes };
}

/**
 * The rule GKE creates for a load balancer the manifests ask for, modelled until it exists: the
 * probers to the nodes' tag on the checked port, priority 1000 (GKE's `k8s-fw-l7-*`, `k8s2-*`).
 */
export function modelledLoadBalancerRules(checked: readonly CheckedPorts[], nodeTag: string, network: string | undefined): FirewallRule[] {
  return checked
    .filter((entry) => entry.from === 'manifest')
    .map((entry) => {
      const rule: FirewallRule = {
        ...firewallRuleDefaults(`k8s-fw-l7--modelled-${portText(entry.ports)}`, 'INGRESS', 'allow', 'gke'),
        protocols: [{ protocol: 'tcp', ports: [entry.ports] }],
        sourceRanges: [...HEALTH_CHECK_RANGES.filter((range) => range.family === 4)],
        targetTags: [nodeTag],
        description: `GKE creates it for ${entry.because}`,
      };
      if (network) rule.network = network;
      return rule;
    });
}
