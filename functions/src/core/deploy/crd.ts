/**
 * kubeflow/gcp-blueprints#32: Config Connector 1.9.1's ContainerCluster CRD lacks these
 * ipAllocationPolicy fields, so the API server prunes them from the private cluster's spec.
 */
export const IP_ALLOCATION_FIELDS: Readonly<Record<string, { type: string }>> = {
  useIpAliases: { type: 'boolean' },
  createSubnetwork: { type: 'boolean' },
  subnetworkName: { type: 'string' },
  clusterIpv4CidrBlock: { type: 'string' },
  clusterSecondaryRangeName: { type: 'string' },
  servicesSecondaryRangeName: { type: 'string' },
  servicesIpv4CidrBlock: { type: 'string' },
};

export const CONTAINER_CLUSTER_CRD = 'containerclusters.container.cnrm.cloud.google.com';

type Json = Record<string, unknown>;

function at(value: unknown, ...path: string[]): unknown {
  return path.reduce<unknown>((current, key) => (current !== null && typeof current === 'object' ? (current as Json)[key] : undefined), value);
}

export interface CrdGap {
  version: string;
  index: number;
  /** What the schema lacks: the whole ipAllocationPolicy, its `properties` map, or only some fields in it. */
  missing: 'policy' | 'properties' | 'fields';
  fields: string[];
}

/** The served versions whose schema lacks ipAllocationPolicy fields. */
export function ipAllocationGaps(crd: unknown): CrdGap[] {
  const versions = at(crd, 'spec', 'versions');
  if (!Array.isArray(versions)) return [];
  return versions.flatMap((version, index) => {
    const spec = at(version, 'schema', 'openAPIV3Schema', 'properties', 'spec', 'properties');
    if (!spec || (version as Json)['served'] === false) return [];
    const policy = at(spec, 'ipAllocationPolicy');
    const properties = at(policy, 'properties') as Json | undefined;
    const fields = Object.keys(IP_ALLOCATION_FIELDS).filter((field) => !properties || !(field in properties));
    if (fields.length === 0) return [];
    const missing = policy === undefined ? 'policy' : properties === undefined ? 'properties' : 'fields';
    return [{ version: String((version as Json)['name']), index, missing, fields }];
  });
}

/**
 * RFC 6902 operations that add the missing fields (the workaround, as a JSON patch). An
 * `add` needs its parent to exist, so a missing policy or `properties` map is added whole.
 */
export function ipAllocationPatch(gaps: readonly CrdGap[]): { op: 'add'; path: string; value: unknown }[] {
  return gaps.flatMap((gap): { op: 'add'; path: string; value: unknown }[] => {
    const base = `/spec/versions/${gap.index}/schema/openAPIV3Schema/properties/spec/properties/ipAllocationPolicy`;
    const fields = Object.fromEntries(gap.fields.map((field) => [field, IP_ALLOCATION_FIELDS[field]]));
    if (gap.missing === 'policy') return [{ op: 'add' as const, path: base, value: { type: 'object', properties: fields } }];
    if (gap.missing === 'properties') return [{ op: 'add' as const, path: `${base}/properties`, value: fields }];
    return gap.fields.map((field) => ({ op: 'add' as const, path: `${base}/properties/${field}`, value: IP_ALLOCATION_FIELDS[field] }));
  });
}
