import { z } from 'zod';
import { formatClusterId, parseClusterId } from './cluster-id.js';
import { CidrError, isNetworkAddress, isPrivateRange, isRfc1918Range, parseCidr, tryParseCidr, type Cidr } from '../net/cidr.js';

export type RangeKind = 'master' | 'node' | 'pod' | 'service';
export type RangeOrigin = 'flag' | 'cluster' | 'manifest' | 'inferred';

/** What kfguard knows about one GKE cluster's network: enough to tell control plane, nodes, pods and services apart. */
export interface ClusterModel {
  project?: string;
  location?: string;
  name?: string;
  /** GKE's cluster id; its first 8 characters name GKE's own firewall rules and node tag. */
  id?: string;
  network?: string;
  /** The project that holds the network: another project than `project` for a Shared VPC service-project cluster. */
  networkProject?: string;
  subnetwork?: string;
  /** The subnetwork's region: subnets are named per region, so the name alone does not identify one. */
  subnetworkRegion?: string;
  /** The control plane's /28 (clusters whose control plane is reached through VPC peering). */
  masterCidr?: Cidr;
  /**
   * How nodes reach the control plane: through VPC peering to the /28, or through a Private
   * Service Connect endpoint (GKE 1.29+: no /28, no peering).
   */
  controlPlaneConnection?: 'peering' | 'psc';
  /** The control plane's internal endpoint address (privateClusterConfig.privateEndpoint). */
  controlPlaneEndpoint?: string;
  /** The project's number: it names the default compute service account nodes run as. */
  projectNumber?: string;
  nodeCidrs: Cidr[];
  podCidrs: Cidr[];
  serviceCidrs: Cidr[];
  /** Network tags on the nodes, GKE's `gke-NAME-HASH-node` first. */
  nodeTags: string[];
  /** Service accounts the nodes run as, for rules that target or match them. */
  nodeServiceAccounts?: string[];
  privateNodes?: boolean;
  privateEndpoint?: boolean;
  authorizedNetworks?: boolean;
  status?: string;
  statusMessage?: string;
  origins: Partial<Record<RangeKind, RangeOrigin>>;
}

export function emptyClusterModel(): ClusterModel {
  return { nodeCidrs: [], podCidrs: [], serviceCidrs: [], nodeTags: [], origins: {} };
}

const optionalString = z.string().optional();

/** `gcloud container clusters describe --format=json`, also the Container API's Cluster resource. */
export const GkeClusterSchema = z.looseObject({
  name: z.string(),
  id: optionalString,
  location: optionalString,
  zone: optionalString,
  selfLink: optionalString,
  network: optionalString,
  subnetwork: optionalString,
  status: optionalString,
  statusMessage: optionalString,
  clusterIpv4Cidr: optionalString,
  servicesIpv4Cidr: optionalString,
  privateClusterConfig: z
    .looseObject({
      enablePrivateNodes: z.boolean().optional(),
      enablePrivateEndpoint: z.boolean().optional(),
      masterIpv4CidrBlock: optionalString,
      peeringName: optionalString,
      privateEndpoint: optionalString,
    })
    .optional()
    .nullable(),
  networkConfig: z
    .looseObject({ network: optionalString, subnetwork: optionalString, defaultEnablePrivateNodes: z.boolean().optional() })
    .optional()
    .nullable(),
  ipAllocationPolicy: z
    .looseObject({
      useIpAliases: z.boolean().optional(),
      clusterIpv4CidrBlock: optionalString,
      servicesIpv4CidrBlock: optionalString,
      nodeIpv4CidrBlock: optionalString,
    })
    .optional()
    .nullable(),
  masterAuthorizedNetworksConfig: z.looseObject({ enabled: z.boolean().optional() }).optional().nullable(),
  nodeConfig: z.looseObject({ tags: z.array(z.string()).optional(), serviceAccount: optionalString }).optional().nullable(),
  nodePools: z
    .array(
      z.looseObject({
        config: z.looseObject({ tags: z.array(z.string()).optional(), serviceAccount: optionalString }).optional().nullable(),
        networkConfig: z.looseObject({ podIpv4CidrBlock: optionalString }).optional().nullable(),
      }),
    )
    .optional()
    .nullable(),
});
export type GkeCluster = z.infer<typeof GkeClusterSchema>;

/** GKE resource names are short network/subnetwork names or full URLs; kfguard keeps the last path segment. */
export function lastSegment(nameOrUrl: string | undefined): string | undefined {
  if (!nameOrUrl) return undefined;
  const parts = nameOrUrl.split('/').filter(Boolean);
  return parts[parts.length - 1];
}

/** The project and region a resource path or URL names (`projects/P/regions/R/subnetworks/S`), when it names them. */
export function resourcePath(nameOrUrl: string | undefined): { project?: string; region?: string; name?: string } {
  if (!nameOrUrl) return {};
  const project = nameOrUrl.match(/(?:^|\/)projects\/([^/]+)/)?.[1];
  const region = nameOrUrl.match(/(?:^|\/)regions\/([^/]+)/)?.[1];
  const path: { project?: string; region?: string; name?: string } = {};
  if (project) path.project = project;
  if (region) path.region = region;
  const name = lastSegment(nameOrUrl);
  if (name) path.name = name;
  return path;
}

/** The Compute Engine default service account GKE nodes run as when a pool says `default`. */
export function defaultComputeServiceAccount(projectNumber: string): string {
  return `${projectNumber}-compute@developer.gserviceaccount.com`;
}

/** A node pool's `default` service account, resolved when the project number is known. */
export function resolveServiceAccounts(accounts: readonly string[], projectNumber: string | undefined): string[] {
  return [...new Set(accounts.map((account) => (account === 'default' && projectNumber ? defaultComputeServiceAccount(projectNumber) : account)))];
}

export function projectFromSelfLink(selfLink: string | undefined): string | undefined {
  return selfLink?.match(/\/projects\/([^/]+)\//)?.[1];
}

/** GKE names its own rules and node tag `gke-NAME-HASH`, HASH being the first 8 characters of the cluster id. */
export function gkeRulePrefix(model: Pick<ClusterModel, 'name' | 'id'>): string | undefined {
  return model.name && model.id ? `gke-${model.name}-${model.id.slice(0, 8)}` : undefined;
}

function cidrsOf(...texts: (string | undefined | null)[]): Cidr[] {
  const seen = new Map<string, Cidr>();
  for (const text of texts) {
    const cidr = text ? tryParseCidr(text) : undefined;
    if (cidr && !seen.has(cidr.text)) seen.set(cidr.text, cidr);
  }
  return [...seen.values()];
}

export function clusterModelFromGke(cluster: GkeCluster): ClusterModel {
  const model = emptyClusterModel();
  model.name = cluster.name;
  model.id = cluster.id;
  model.location = cluster.location ?? cluster.zone;
  model.project = projectFromSelfLink(cluster.selfLink);
  const network = resourcePath(cluster.networkConfig?.network ?? cluster.network);
  const subnetwork = resourcePath(cluster.networkConfig?.subnetwork ?? cluster.subnetwork);
  model.network = network.name;
  model.networkProject = network.project ?? model.project;
  model.subnetwork = subnetwork.name;
  model.subnetworkRegion = subnetwork.region ?? regionOfLocation(model.location);
  model.status = cluster.status;
  if (cluster.statusMessage) model.statusMessage = cluster.statusMessage;
  const pcc = cluster.privateClusterConfig ?? undefined;
  model.privateNodes = pcc?.enablePrivateNodes ?? cluster.networkConfig?.defaultEnablePrivateNodes ?? false;
  model.privateEndpoint = pcc?.enablePrivateEndpoint ?? false;
  model.authorizedNetworks = cluster.masterAuthorizedNetworksConfig?.enabled ?? false;
  const master = pcc?.masterIpv4CidrBlock ? tryParseCidr(pcc.masterIpv4CidrBlock) : undefined;
  if (master) model.masterCidr = master;
  if (master || pcc?.peeringName) model.controlPlaneConnection = 'peering';
  else if (pcc?.privateEndpoint) model.controlPlaneConnection = 'psc';
  if (pcc?.privateEndpoint) model.controlPlaneEndpoint = pcc.privateEndpoint;
  const policy = cluster.ipAllocationPolicy ?? undefined;
  model.podCidrs = cidrsOf(
    cluster.clusterIpv4Cidr,
    policy?.clusterIpv4CidrBlock,
    ...(cluster.nodePools ?? []).map((pool) => pool.networkConfig?.podIpv4CidrBlock),
  );
  model.serviceCidrs = cidrsOf(cluster.servicesIpv4Cidr, policy?.servicesIpv4CidrBlock);
  model.nodeCidrs = cidrsOf(policy?.nodeIpv4CidrBlock);
  const prefix = gkeRulePrefix(model);
  const tags = new Set<string>(prefix ? [`${prefix}-node`] : []);
  for (const tag of cluster.nodeConfig?.tags ?? []) tags.add(tag);
  for (const pool of cluster.nodePools ?? []) for (const tag of pool.config?.tags ?? []) tags.add(tag);
  model.nodeTags = [...tags];
  const accounts = [cluster.nodeConfig?.serviceAccount, ...(cluster.nodePools ?? []).map((pool) => pool.config?.serviceAccount)];
  model.nodeServiceAccounts = [...new Set(accounts.filter((account): account is string => Boolean(account)))];
  for (const kind of ['master', 'node', 'pod', 'service'] as const) {
    if (rangesOf(model, kind).length > 0) model.origins[kind] = 'cluster';
  }
  return model;
}

/** Whether a cluster is the one asked for: by name, or by its id (PROJECT:LOCATION:NAME) where several share a name. */
export function isNamed(model: ClusterModel, nameOrId: string): boolean {
  if (!nameOrId.includes(':')) return model.name === nameOrId;
  const id = parseClusterId(nameOrId);
  return model.project === id.project && model.location === id.location && model.name === id.name;
}

/** How a cluster is written to pick it: its id when the inputs say where it is, else its name. */
export function clusterIdOrName(model: ClusterModel): string {
  return model.project && model.location && model.name ? formatClusterId({ project: model.project, location: model.location, name: model.name }) : (model.name ?? 'a cluster without a name');
}

/** us-central1-a → us-central1; a region stays as it is. */
export function regionOfLocation(location: string | undefined): string | undefined {
  return location?.replace(/-[a-z]$/, '');
}

/** A Shared VPC service-project cluster: its network lives in another (host) project. */
export function isServiceProjectCluster(model: ClusterModel): boolean {
  return model.networkProject !== undefined && model.project !== undefined && model.networkProject !== model.project;
}

/** The project whose network, firewall rules, routes, NAT and DNS serve the cluster. */
export function networkProjectOf(model: ClusterModel): string | undefined {
  return model.networkProject ?? model.project;
}

export function rangesOf(model: ClusterModel, kind: RangeKind): Cidr[] {
  switch (kind) {
    case 'master':
      return model.masterCidr ? [model.masterCidr] : [];
    case 'node':
      return model.nodeCidrs;
    case 'pod':
      return model.podCidrs;
    case 'service':
      return model.serviceCidrs;
  }
}

export interface RangeOverrides {
  masterCidr?: string;
  nodeCidrs?: string[];
  podCidrs?: string[];
  serviceCidrs?: string[];
}

const RFC1918_TEXT = 'RFC 1918 space (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)';

/**
 * Why text given by hand for one of a private cluster's ranges (`--master-cidr` and friends) cannot
 * be that range, or undefined when it can. The control plane's range is what GKE accepts for
 * masterIpv4CidrBlock: an RFC 1918 /28. Node, pod and service ranges may also be RFC 6598 shared
 * space or IPv6 unique-local; the other non-RFC 1918 ranges GKE allows (privately used public
 * ranges, class E) are refused here: typed by hand they are far more often a slip than a choice,
 * and a cluster's describe output (`--cluster`) brings them in as GKE reports them.
 */
export function rangeFlagProblem(kind: RangeKind, text: string): string | undefined {
  let range: Cidr;
  try {
    range = parseCidr(text);
  } catch (error) {
    if (error instanceof CidrError) return error.reason;
    throw error;
  }
  if (!isNetworkAddress(range, text)) return `has host bits set: the range starting there is ${range.text}`;
  if (kind === 'master') {
    if (range.family !== 4 || range.prefix !== 28) return `must be an IPv4 /28 (GKE gives the control plane exactly 16 addresses), not a /${range.prefix}`;
    if (!isRfc1918Range(range)) return `must be in ${RFC1918_TEXT}, as GKE requires of the control plane's range`;
    return undefined;
  }
  if (range.prefix === 0) return 'is every address, not a cluster range';
  if (!isPrivateRange(range)) {
    return `is not private: ${kind} ranges must be in ${RFC1918_TEXT}, RFC 6598 shared space (100.64.0.0/10) or IPv6 unique-local space (fc00::/7); GKE's other options (privately used public ranges, class E) are not taken from flags`;
  }
  return undefined;
}

/** Applies `--master-cidr` and friends on top of a model; flags win over the cluster file. Throws CidrError on bad text. */
export function withRangeOverrides(base: ClusterModel, overrides: RangeOverrides): ClusterModel {
  const model: ClusterModel = { ...base, origins: { ...base.origins } };
  if (overrides.masterCidr) {
    model.masterCidr = parseCidr(overrides.masterCidr);
    model.origins.master = 'flag';
  }
  const lists = [
    ['node', 'nodeCidrs', overrides.nodeCidrs],
    ['pod', 'podCidrs', overrides.podCidrs],
    ['service', 'serviceCidrs', overrides.serviceCidrs],
  ] as const;
  for (const [kind, field, texts] of lists) {
    if (texts && texts.length > 0) {
      model[field] = texts.map(parseCidr);
      model.origins[kind] = 'flag';
    }
  }
  return model;
}

/** The serialisable form stored in Firestore and printed in reports. */
export interface ClusterModelSummary {
  project?: string;
  location?: string;
  name?: string;
  network?: string;
  /** Present when the network is in another project (Shared VPC). */
  networkProject?: string;
  masterCidr?: string;
  controlPlaneConnection?: 'peering' | 'psc';
  controlPlaneEndpoint?: string;
  nodeCidrs: string[];
  podCidrs: string[];
  serviceCidrs: string[];
  nodeTags: string[];
  origins: Partial<Record<RangeKind, RangeOrigin>>;
}

export function summarizeModel(model: ClusterModel): ClusterModelSummary {
  const summary: ClusterModelSummary = {
    nodeCidrs: model.nodeCidrs.map((c) => c.text),
    podCidrs: model.podCidrs.map((c) => c.text),
    serviceCidrs: model.serviceCidrs.map((c) => c.text),
    nodeTags: model.nodeTags,
    origins: model.origins,
  };
  for (const key of ['project', 'location', 'name', 'network'] as const) {
    if (model[key]) summary[key] = model[key];
  }
  if (model.masterCidr) summary.masterCidr = model.masterCidr.text;
  if (isServiceProjectCluster(model)) summary.networkProject = model.networkProject;
  if (model.controlPlaneConnection) summary.controlPlaneConnection = model.controlPlaneConnection;
  if (model.controlPlaneEndpoint) summary.controlPlaneEndpoint = model.controlPlaneEndpoint;
  return summary;
}

/**
 * What the API says now, on top of what was registered: live ranges, tags and status win where the
 * API has them; the registry keeps what the API never reports (the subnet's node range from flags).
 */
export function refreshedModel(registered: ClusterModel, live: ClusterModel): ClusterModel {
  const model: ClusterModel = { ...registered, ...Object.fromEntries(Object.entries(live).filter(([, value]) => value !== undefined)), origins: { ...registered.origins } };
  for (const [kind, field] of [
    ['node', 'nodeCidrs'],
    ['pod', 'podCidrs'],
    ['service', 'serviceCidrs'],
  ] as const) {
    model[field] = live[field].length > 0 ? live[field] : registered[field];
    if (live[field].length > 0) model.origins[kind] = 'cluster';
  }
  model.nodeTags = live.nodeTags.length > 0 ? live.nodeTags : registered.nodeTags;
  if (!live.masterCidr && registered.masterCidr) model.masterCidr = registered.masterCidr;
  else if (live.masterCidr) model.origins.master = 'cluster';
  return model;
}
