import type { Cidr } from '../net/cidr.js';
import type { ClusterModel } from '../model/cluster.js';
import type { FirewallRule, PolicyRef } from '../firewall/rule.js';
import type { EnforcementOrder } from '../firewall/stack.js';

/** Where a spec was read from: `FILE:LINE` for manifests, `FILE[INDEX]` for exports, a resource path live. */
export type Location = string;

export interface RouteSpec {
  name: string;
  network?: string;
  destRange: Cidr;
  priority: number;
  /** True when the next hop is the default internet gateway (how Private Google Access and Cloud NAT leave the VPC). */
  viaInternetGateway: boolean;
  nextHop: string;
  location: Location;
}

export interface NetworkSpec {
  name: string;
  project?: string;
  /** When network firewall policies are evaluated relative to VPC rules; absent when the input did not say. */
  enforcementOrder?: EnforcementOrder;
  /** Read from the Compute API (or its export): what is in force, over what a manifest asks for. */
  live: boolean;
  /**
   * GCP creates a 0.0.0.0/0 route to the internet gateway with every new network unless
   * `deleteDefaultRoutesOnCreate` is set; a manifest then implies a route no manifest declares.
   * Live networks list that route among their routes, so this is false for them.
   */
  impliesDefaultRoute: boolean;
  location: Location;
}

export interface SubnetworkSpec {
  name: string;
  network?: string;
  /** Subnets are named per region and project: a name alone matches one in every region. */
  region?: string;
  project?: string;
  ipCidrRange?: Cidr;
  secondaryRanges: { rangeName: string; range: Cidr }[];
  privateIpGoogleAccess: boolean;
  /** Read from the Compute API (or its export) rather than from a manifest: what is in force. */
  live: boolean;
  location: Location;
}

export interface RouterSpec {
  name: string;
  network?: string;
  region?: string;
  location: Location;
}

export interface NatSpec {
  name: string;
  router?: string;
  region?: string;
  location: Location;
}

export interface DnsZoneSpec {
  name: string;
  /** Fully qualified, with the trailing dot: "googleapis.com.". */
  dnsName: string;
  visibility: 'private' | 'public';
  networks: string[];
  location: Location;
}

export interface DnsRecordSpec {
  name: string;
  type: string;
  rrdatas: string[];
  zone?: string;
  location: Location;
}

export interface ClusterSpec {
  model: ClusterModel;
  /** Secondary range names to resolve against the subnetwork once every input is read. */
  podRangeName?: string;
  serviceRangeName?: string;
  location: Location;
}

export interface WebhookSpec {
  configKind: 'MutatingWebhookConfiguration' | 'ValidatingWebhookConfiguration';
  configName: string;
  name: string;
  service?: { namespace: string; name: string; port: number };
  url?: string;
  location: Location;
}

export interface ServicePortSpec {
  name?: string;
  port: number;
  targetPort: number | string;
  nodePort?: number;
  protocol: string;
}

export interface ServiceSpec {
  namespace: string;
  name: string;
  type: string;
  selector: Record<string, string>;
  ports: ServicePortSpec[];
  externalTrafficPolicy?: string;
  healthCheckNodePort?: number;
  /** `cloud.google.com/neg` asks for container-native load balancing: health checks go to the pods. */
  negIngress: boolean;
  location: Location;
}

/** A GKE Ingress backend: the Service (and its port, by number or name) the load balancer checks. */
export interface IngressSpec {
  namespace: string;
  name: string;
  backends: { service: string; port: number | string }[];
  location: Location;
}

export interface WorkloadSpec {
  kind: string;
  namespace: string;
  name: string;
  podLabels: Record<string, string>;
  containers: { name: string; image?: string; ports: { name?: string; containerPort: number; protocol: string }[] }[];
  location: Location;
}

export interface CnrmStatus {
  kind: string;
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  ready: boolean;
  reason?: string;
  message?: string;
  /** When the Ready condition last changed. */
  since?: string;
  location: Location;
}

export type ReferenceField = 'networkRef' | 'subnetworkRef' | 'routerRef' | 'managedZoneRef';

export interface ReferenceSpec {
  from: string;
  field: ReferenceField;
  targetKind: string;
  targetName: string;
  location: Location;
}

export interface PlaceholderSpec {
  value: string;
  resource: string;
  field: string;
  location: Location;
}

/** A firewall policy and where it is attached; its rules are among `NetworkConfig.firewalls`. */
export interface FirewallPolicySpec {
  ref: PolicyRef;
  /**
   * What it is attached to: `organizations/N`, `folders/N`, or a network name. Absent when the input
   * did not say (a policy from get-effective-firewalls is attached to that network by definition).
   */
  attachments?: string[];
  location: Location;
}

/** What a check can judge; a check whose inputs were not given is skipped and says so. */
export type Coverage = 'firewalls' | 'firewall-policies' | 'routes' | 'routers' | 'dns' | 'clusters' | 'webhooks' | 'cnrm-status';

/** Everything `kfguard check` knows about the network and the workloads, from any mix of inputs. */
export interface NetworkConfig {
  /** VPC firewall rules and firewall policy rules (those carry `policy`). */
  firewalls: FirewallRule[];
  firewallPolicies: FirewallPolicySpec[];
  /** Associations read apart from their policy (Config Connector's *Association resources), merged in once every input is read. */
  policyAttachments: { policy: PolicyRef; target: string; location: Location }[];
  routes: RouteSpec[];
  networks: NetworkSpec[];
  subnetworks: SubnetworkSpec[];
  routers: RouterSpec[];
  nats: NatSpec[];
  zones: DnsZoneSpec[];
  records: DnsRecordSpec[];
  clusters: ClusterSpec[];
  webhooks: WebhookSpec[];
  services: ServiceSpec[];
  workloads: WorkloadSpec[];
  ingresses: IngressSpec[];
  cnrmStatuses: CnrmStatus[];
  references: ReferenceSpec[];
  placeholders: PlaceholderSpec[];
  coverage: Set<Coverage>;
  /** Resource names defined per kind, for dangling-reference. */
  defined: Map<string, Set<string>>;
  /** Project numbers by project id (`gcloud projects describe`): they name default service accounts. */
  projectNumbers: Map<string, string>;
  /** What reading the inputs had to assume, for the report. */
  notes: string[];
}

export function emptyNetworkConfig(): NetworkConfig {
  return {
    firewalls: [],
    firewallPolicies: [],
    policyAttachments: [],
    routes: [],
    networks: [],
    subnetworks: [],
    routers: [],
    nats: [],
    zones: [],
    records: [],
    clusters: [],
    webhooks: [],
    services: [],
    workloads: [],
    ingresses: [],
    cnrmStatuses: [],
    references: [],
    placeholders: [],
    coverage: new Set(),
    defined: new Map(),
    projectNumbers: new Map(),
    notes: [],
  };
}

export interface ConfigRejection {
  source: Location;
  reason: string;
}

/** How many resources the inputs contributed: zero means nothing could be judged. */
export function configSize(config: NetworkConfig): number {
  const lists = [config.firewalls, config.firewallPolicies, config.routes, config.networks, config.subnetworks, config.routers, config.nats, config.zones, config.records, config.clusters, config.webhooks, config.services, config.workloads, config.ingresses, config.cnrmStatuses];
  return lists.reduce((total, list) => total + list.length, 0);
}
