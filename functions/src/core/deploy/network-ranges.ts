import { isMap, isScalar, isSeq, parseAllDocuments, type Document, type Scalar } from 'yaml';
import type { Cidr } from '../net/cidr.js';
import type { ClusterModel } from '../model/cluster.js';
import { BlueprintError } from './blueprint.js';

/**
 * The private-GKE package's ranges have no kpt setters: the guide edits them by hand, and its
 * firewall rules say "keep in sync" with the cluster patch. These are the files that hold them.
 */
const PRIVATE_GKE_DIR = 'upstream/manifests/gcp/v2/privateGKE';
export const PRIVATE_NETWORK_FILES = {
  patch: `${PRIVATE_GKE_DIR}/cluster-private-patch.yaml`,
  network: `${PRIVATE_GKE_DIR}/compute-network.yaml`,
  firewall: `${PRIVATE_GKE_DIR}/firewall.yaml`,
} as const;
export type PrivateNetworkFiles = Record<keyof typeof PRIVATE_NETWORK_FILES, string>;

export interface NetworkRanges {
  controlPlaneCidr?: string;
  nodeCidr?: string;
  podCidr?: string;
  serviceCidr?: string;
}

type Docs = Document.Parsed[];

function parse(text: string, file: string): Docs {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new BlueprintError(`${file}: not YAML documents`);
  const broken = docs.find((doc) => doc.errors.length > 0);
  if (broken) throw new BlueprintError(`${file}: ${broken.errors[0]!.message.split('\n')[0]}`);
  return docs;
}

const ofKind = (docs: Docs, kind: string): Docs => docs.filter((doc) => doc.get('kind') === kind);

function scalarAt(doc: Document.Parsed, path: readonly string[]): Scalar | undefined {
  const node = doc.getIn(path, true);
  return isScalar(node) ? node : undefined;
}

/** Sets a scalar in place, so the comment on its line (a kpt setter marker, say) stays. */
function setScalar(node: Scalar, value: string, what: string, changed: string[]): void {
  if (node.value === value) return;
  changed.push(`${what}: ${String(node.value)} -> ${value}`);
  node.value = value;
}

function render(docs: Docs, original: string, changed: boolean): string {
  return changed ? docs.map((doc) => doc.toString({ indentSeq: false })).join('') : original;
}

/** Sets the control plane /28 in the cluster patch; returns the range it replaced and the secondary range names. */
function editPatch(docs: Docs, ranges: NetworkRanges, changed: string[]): { previousMaster?: string; podRange: string; serviceRange: string } {
  const [cluster] = ofKind(docs, 'ContainerCluster');
  if (!cluster) throw new BlueprintError(`${PRIVATE_NETWORK_FILES.patch}: no ContainerCluster`);
  const master = scalarAt(cluster, ['spec', 'privateClusterConfig', 'masterIpv4CidrBlock']);
  const previousMaster = master ? String(master.value) : undefined;
  if (ranges.controlPlaneCidr) {
    if (!master) throw new BlueprintError(`${PRIVATE_NETWORK_FILES.patch}: no spec.privateClusterConfig.masterIpv4CidrBlock to set`);
    setScalar(master, ranges.controlPlaneCidr, `${PRIVATE_NETWORK_FILES.patch} masterIpv4CidrBlock`, changed);
  }
  const rangeName = (key: string, fallback: string) => String(scalarAt(cluster, ['spec', 'ipAllocationPolicy', key])?.value ?? fallback);
  return { previousMaster, podRange: rangeName('clusterSecondaryRangeName', 'pods'), serviceRange: rangeName('servicesSecondaryRangeName', 'services') };
}

/** The subnetwork's primary range (nodes) and the secondary ranges the cluster patch names. */
function editNetwork(docs: Docs, ranges: NetworkRanges, names: { podRange: string; serviceRange: string }, changed: string[]): void {
  if (!ranges.nodeCidr && !ranges.podCidr && !ranges.serviceCidr) return;
  const [subnet] = ofKind(docs, 'ComputeSubnetwork');
  if (!subnet) throw new BlueprintError(`${PRIVATE_NETWORK_FILES.network}: no ComputeSubnetwork`);
  const where = `${PRIVATE_NETWORK_FILES.network} ComputeSubnetwork`;
  if (ranges.nodeCidr) {
    const primary = scalarAt(subnet, ['spec', 'ipCidrRange']);
    if (!primary) throw new BlueprintError(`${where}: no spec.ipCidrRange to set`);
    setScalar(primary, ranges.nodeCidr, `${where} ipCidrRange`, changed);
  }
  const secondary = subnet.getIn(['spec', 'secondaryIpRange'], true);
  for (const [name, value] of [
    [names.podRange, ranges.podCidr],
    [names.serviceRange, ranges.serviceCidr],
  ] as const) {
    if (!value) continue;
    const item = isSeq(secondary) ? secondary.items.find((entry) => isMap(entry) && entry.get('rangeName') === name) : undefined;
    const range = isMap(item) ? item.get('ipCidrRange', true) : undefined;
    if (!isScalar(range)) throw new BlueprintError(`${where}: no secondaryIpRange named ${name} (the cluster patch's) to set`);
    setScalar(range, value, `${where} secondaryIpRange ${name}`, changed);
  }
}

/** Every firewall range equal to the patch's old control-plane /28 follows it: the blueprint's "keep in sync". */
function editFirewall(docs: Docs, previousMaster: string | undefined, controlPlane: string | undefined, changed: string[]): void {
  if (!controlPlane || !previousMaster || previousMaster === controlPlane) return;
  for (const rule of ofKind(docs, 'ComputeFirewall')) {
    for (const key of ['sourceRanges', 'destinationRanges']) {
      const list = rule.getIn(['spec', key], true);
      if (!isSeq(list)) continue;
      for (const item of list.items) {
        if (isScalar(item) && item.value === previousMaster) setScalar(item, controlPlane, `${PRIVATE_NETWORK_FILES.firewall} ${String(rule.getIn(['metadata', 'name']))} ${key}`, changed);
      }
    }
  }
}

/**
 * Writes the request's ranges into the private-GKE package before hydration, comments kept:
 * the control plane /28 into the cluster patch and the firewall rules that name it, the node,
 * pod and service ranges into the subnetwork. Idempotent; `changed` says what moved.
 */
export function setPrivateNetworkRanges(files: PrivateNetworkFiles, ranges: NetworkRanges): { files: PrivateNetworkFiles; changed: string[] } {
  const docs = { patch: parse(files.patch, PRIVATE_NETWORK_FILES.patch), network: parse(files.network, PRIVATE_NETWORK_FILES.network), firewall: parse(files.firewall, PRIVATE_NETWORK_FILES.firewall) };
  const changes = { patch: [] as string[], network: [] as string[], firewall: [] as string[] };
  const patch = editPatch(docs.patch, ranges, changes.patch);
  editNetwork(docs.network, ranges, patch, changes.network);
  editFirewall(docs.firewall, patch.previousMaster, ranges.controlPlaneCidr, changes.firewall);
  return {
    files: {
      patch: render(docs.patch, files.patch, changes.patch.length > 0),
      network: render(docs.network, files.network, changes.network.length > 0),
      firewall: render(docs.firewall, files.firewall, changes.firewall.length > 0),
    },
    changed: [...changes.patch, ...changes.network, ...changes.firewall],
  };
}

/** Where the rendered cluster's ranges are not the request's, in words. */
export function rangeDifferences(cluster: Pick<ClusterModel, 'masterCidr' | 'nodeCidrs' | 'podCidrs' | 'serviceCidrs'>, requested: { controlPlaneCidr: Cidr; nodeCidr: Cidr; podCidr: Cidr; serviceCidr: Cidr }): string[] {
  const rendered: [string, string | undefined, Cidr][] = [
    ['control plane', cluster.masterCidr?.text, requested.controlPlaneCidr],
    ['node range', cluster.nodeCidrs[0]?.text, requested.nodeCidr],
    ['pod range', cluster.podCidrs[0]?.text, requested.podCidr],
    ['service range', cluster.serviceCidrs[0]?.text, requested.serviceCidr],
  ];
  return rendered.filter(([, actual, wanted]) => actual !== wanted.text).map(([what, actual, wanted]) => `${what} ${actual ?? 'missing'} (requested ${wanted.text})`);
}
