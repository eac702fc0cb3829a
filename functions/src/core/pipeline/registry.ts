import { z } from 'zod';
import { tryParseCidr, type Cidr } from '../net/cidr.js';
import { checkedClusterId, formatClusterId } from '../model/cluster-id.js';
import { emptyClusterModel, summarizeModel, type ClusterModel, type ClusterModelSummary } from '../model/cluster.js';
import type { SweepSource } from './sweep-sources.js';
import { OFFLINE_SCOPE } from '../findings/finding.js';

/** The cluster model as Firestore stores it (`clusters/{key}.model`). */
export interface StoredModel extends ClusterModelSummary {
  id?: string;
  subnetwork?: string;
  subnetworkRegion?: string;
  projectNumber?: string;
  privateNodes?: boolean;
  privateEndpoint?: boolean;
  authorizedNetworks?: boolean;
  nodeServiceAccounts?: string[];
  status?: string;
  statusMessage?: string;
}

const optionalText = z.string().optional();
const texts = z.array(z.string());

/** What a `StoredModel` read back must look like. */
export const StoredModelSchema = z.object({
  project: optionalText,
  location: optionalText,
  name: optionalText,
  id: optionalText,
  network: optionalText,
  networkProject: optionalText,
  subnetwork: optionalText,
  subnetworkRegion: optionalText,
  projectNumber: optionalText,
  masterCidr: optionalText,
  controlPlaneConnection: z.enum(['peering', 'psc']).optional(),
  controlPlaneEndpoint: optionalText,
  nodeCidrs: texts.default([]),
  podCidrs: texts.default([]),
  serviceCidrs: texts.default([]),
  nodeTags: texts.default([]),
  nodeServiceAccounts: texts.optional(),
  privateNodes: z.boolean().optional(),
  privateEndpoint: z.boolean().optional(),
  authorizedNetworks: z.boolean().optional(),
  status: optionalText,
  statusMessage: optionalText,
  origins: z.partialRecord(z.enum(['master', 'node', 'pod', 'service']), z.enum(['flag', 'cluster', 'manifest', 'inferred'])).default({}),
}) satisfies z.ZodType<StoredModel>;

export const ManagementClusterSchema = z.object({
  project: z.string().optional(),
  location: z.string().optional(),
  name: z.string().optional(),
  /** The namespace Config Connector manages this cluster's resources in (the project, in namespaced mode). */
  namespace: z.string(),
});
export type ManagementCluster = z.infer<typeof ManagementClusterSchema>;

/** A document of the `clusters` collection: what the log sink and the sweep know about a cluster. */
export interface RegisteredCluster {
  key: string;
  project: string;
  location: string;
  name: string;
  model: StoredModel;
  management?: ManagementCluster;
  registeredAt: string;
  lastSweep?: {
    at: string;
    status: 'ok' | 'error';
    openFindings: number;
    error?: string;
    /** Sources this sweep could not read: findings from them were not resolved, however long unseen. */
    unreadSources?: SweepSource[];
  };
}

/** The document id of a cluster in `clusters`: its cluster id. Throws ClusterIdError for a part GCP would refuse. */
export function clusterKey(project: string, location: string, name: string): string {
  return formatClusterId(checkedClusterId({ project, location, name }));
}

/**
 * The scope findings made outside the pipeline get: the cluster's key when exactly one cluster
 * is known by project, location and name, so ids match what the store gives the same findings.
 */
export function offlineScope(models: readonly Pick<ClusterModel, 'project' | 'location' | 'name'>[]): string {
  const [only] = models;
  if (models.length !== 1 || !only?.project || !only.location || !only.name) return OFFLINE_SCOPE;
  try {
    return clusterKey(only.project, only.location, only.name);
  } catch {
    return OFFLINE_SCOPE;
  }
}

/** Scope of findings whose entry matched no registered cluster: still grouped, per project. */
export function unregisteredScope(project: string | undefined): string {
  return `${project ?? 'unknown-project'}:-:-`;
}

export function storedModel(model: ClusterModel): StoredModel {
  const stored: StoredModel = summarizeModel(model);
  const optional = {
    id: model.id,
    subnetwork: model.subnetwork,
    subnetworkRegion: model.subnetworkRegion,
    networkProject: model.networkProject,
    projectNumber: model.projectNumber,
    privateNodes: model.privateNodes,
    privateEndpoint: model.privateEndpoint,
    authorizedNetworks: model.authorizedNetworks,
    nodeServiceAccounts: model.nodeServiceAccounts,
    status: model.status,
    statusMessage: model.statusMessage,
  };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) (stored as unknown as Record<string, unknown>)[key] = value;
  return stored;
}

const cidrs = (texts: readonly string[] | undefined): Cidr[] => (texts ?? []).map(tryParseCidr).filter((cidr): cidr is Cidr => cidr !== undefined);

export function modelFromStored(stored: StoredModel): ClusterModel {
  const model = emptyClusterModel();
  Object.assign(model, {
    project: stored.project,
    location: stored.location,
    name: stored.name,
    id: stored.id,
    network: stored.network,
    networkProject: stored.networkProject,
    subnetwork: stored.subnetwork,
    subnetworkRegion: stored.subnetworkRegion,
    projectNumber: stored.projectNumber,
    controlPlaneConnection: stored.controlPlaneConnection,
    controlPlaneEndpoint: stored.controlPlaneEndpoint,
    privateNodes: stored.privateNodes,
    privateEndpoint: stored.privateEndpoint,
    authorizedNetworks: stored.authorizedNetworks,
    nodeServiceAccounts: stored.nodeServiceAccounts,
    status: stored.status,
    statusMessage: stored.statusMessage,
  });
  const master = stored.masterCidr ? tryParseCidr(stored.masterCidr) : undefined;
  if (master) model.masterCidr = master;
  model.nodeCidrs = cidrs(stored.nodeCidrs);
  model.podCidrs = cidrs(stored.podCidrs);
  model.serviceCidrs = cidrs(stored.serviceCidrs);
  model.nodeTags = [...(stored.nodeTags ?? [])];
  model.origins = { ...(stored.origins ?? {}) };
  for (const key of Object.keys(model) as (keyof ClusterModel)[]) if (model[key] === undefined) delete model[key];
  return model;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) current = current !== null && typeof current === 'object' ? (current as Record<string, unknown>)[key] : undefined;
  return current;
}

/** Where a log entry comes from: its project, and the cluster or network it names. */
export interface EntryOrigin {
  project?: string;
  cluster?: string;
  location?: string;
  network?: string;
  vm?: string;
}

export function entryOrigin(entry: unknown): EntryOrigin {
  const labels = field(entry, 'resource', 'labels');
  const origin: EntryOrigin = {};
  const assign = (key: keyof EntryOrigin, value: string | undefined): void => {
    if (value) origin[key] = value;
  };
  assign('project', text(field(labels, 'project_id')) ?? text(field(entry, 'logName'))?.match(/^projects\/([^/]+)\//)?.[1]);
  assign('cluster', text(field(labels, 'cluster_name')));
  assign('location', text(field(labels, 'location')));
  const reference = text(field(entry, 'jsonPayload', 'rule_details', 'reference'));
  assign('network', text(field(entry, 'jsonPayload', 'vpc', 'vpc_name')) ?? reference?.match(/^network:([^/]+)\//)?.[1]);
  assign('vm', text(field(entry, 'jsonPayload', 'instance', 'vm_name')));
  return origin;
}

/**
 * The registered cluster an entry belongs to: by cluster name for Kubernetes and GKE entries; for
 * firewall entries by network, then by GKE's `gke-CLUSTER-` VM prefix when a network holds several.
 */
export function matchCluster(origin: EntryOrigin, clusters: readonly RegisteredCluster[]): RegisteredCluster | undefined {
  const inProject = clusters.filter((cluster) => !origin.project || cluster.project === origin.project);
  if (origin.cluster) {
    const named = inProject.filter((cluster) => cluster.name === origin.cluster);
    return named.find((cluster) => !origin.location || cluster.location === origin.location) ?? named[0];
  }
  const onNetwork = inProject.filter((cluster) => origin.network !== undefined && cluster.model.network === origin.network);
  if (onNetwork.length <= 1) return onNetwork[0];
  return onNetwork.find((cluster) => origin.vm?.startsWith(`gke-${cluster.name}-`)) ?? onNetwork[0];
}
