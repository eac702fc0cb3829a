import type { Cidr } from '../net/cidr.js';
import type { ClusterModel } from '../model/cluster.js';
import type { FirewallRule } from '../firewall/rule.js';

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
  region?: string;
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
  protocol: string;
}

export interface ServiceSpec {
  namespace: string;
  name: string;
  selector: Record<string, string>;
  ports: ServicePortSpec[];
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

/** What a check can judge; a check whose inputs were not given is skipped and says so. */
export type Coverage = 'firewalls' | 'routes' | 'routers' | 'dns' | 'clusters' | 'webhooks' | 'cnrm-status';

/** Everything `kfguard check` knows about the network and the workloads, from any mix of inputs. */
export interface NetworkConfig {
  firewalls: FirewallRule[];
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
  cnrmStatuses: CnrmStatus[];
  references: ReferenceSpec[];
  placeholders: PlaceholderSpec[];
  coverage: Set<Coverage>;
  /** Resource names defined per kind, for dangling-reference. */
  defined: Map<string, Set<string>>;
}

export function emptyNetworkConfig(): NetworkConfig {
  return {
    firewalls: [],
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
    cnrmStatuses: [],
    references: [],
    placeholders: [],
    coverage: new Set(),
    defined: new Map(),
  };
}

export interface ConfigRejection {
  source: Location;
  reason: string;
}
