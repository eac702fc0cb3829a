import type { LoadedScenario } from '../../functions/src/dev/scenario.js';
import { readFileSync } from 'node:fs';
import { fixtureJson, fixturePath } from './fixtures.js';

const PROJECT = 'kf-test-project';
const NETWORK_URL = `https://www.googleapis.com/compute/v1/projects/${PROJECT}/global/networks/kf-test`;

type Json = Record<string, any>;

/** GKE's view of the private cluster kf-test on network kf-test, as `clusters describe` prints it. */
export function liveCluster(changes: Json = {}): Json {
  const cluster = fixtureJson<Json>('gke/cluster-describe.json');
  return {
    ...cluster,
    network: 'kf-test',
    subnetwork: 'kf-test',
    networkConfig: { network: `projects/${PROJECT}/global/networks/kf-test`, subnetwork: `projects/${PROJECT}/regions/us-central1/subnetworks/kf-test` },
    nodeConfig: { ...cluster['nodeConfig'], tags: [] },
    masterAuthorizedNetworksConfig: { enabled: true, cidrBlocks: [{ displayName: 'corp', cidrBlock: '203.0.113.0/24' }] },
    nodePools: [{ name: 'default-pool', config: { machineType: 'e2-standard-8' }, networkConfig: { podRange: 'pods', podIpv4CidrBlock: '10.1.0.0/16' } }],
    ...changes,
  };
}

const subnetwork: Json = {
  kind: 'compute#subnetwork',
  name: 'kf-test',
  network: NETWORK_URL,
  region: `https://www.googleapis.com/compute/v1/projects/${PROJECT}/regions/us-central1`,
  ipCidrRange: '10.10.10.0/24',
  privateIpGoogleAccess: true,
  secondaryIpRanges: [
    { rangeName: 'services', ipCidrRange: '10.10.11.0/24' },
    { rangeName: 'pods', ipCidrRange: '10.1.0.0/16' },
  ],
};

const items = (name: string): Json[] => fixtureJson<{ items: Json[] }>(name).items;
const ready = (object: Json): boolean => (object['status']?.conditions ?? []).every((condition: Json) => condition['type'] !== 'Ready' || condition['status'] === 'True');

export interface ScenarioChanges {
  cluster?: Json;
  operations?: Json[];
  /** Firewall rules to drop from the healthy network, by name. */
  withoutFirewalls?: string[];
  /** Keep the Config Connector resources that are not Ready. */
  brokenConfigConnector?: boolean;
  logging?: Json[];
  /** Firewall policies in force on the project's networks, as the Compute API describes them. */
  firewallPolicies?: Json[];
  enforcementOrder?: 'AFTER_CLASSIC_FIREWALL' | 'BEFORE_CLASSIC_FIREWALL';
}

/**
 * The blueprint's private network, live: the same rules, routes, NAT and DNS as
 * test/fixtures/check/gcloud, the Kubeflow webhooks, and Config Connector resources.
 */
export function liveScenario(changes: ScenarioChanges = {}): LoadedScenario {
  const firewalls = fixtureJson<Json[]>('check/gcloud/firewall-rules.json').filter((rule) => !(changes.withoutFirewalls ?? []).includes(rule['name']));
  const cnrm = items('check/gcloud/kubectl-gcp.json').filter((object) => changes.brokenConfigConnector || ready(object));
  return {
    project: PROJECT,
    clusters: [{ gke: liveCluster(changes.cluster), register: { location: 'us-central1', managementNamespace: PROJECT } }],
    operations: changes.operations ?? [],
    compute: {
      firewalls,
      routes: fixtureJson<Json[]>('check/gcloud/routes.json'),
      routers: fixtureJson<Json[]>('check/gcloud/routers.json'),
      networks: [{ name: 'kf-test', autoCreateSubnetworks: false, ...(changes.enforcementOrder ? { networkFirewallPolicyEnforcementOrder: changes.enforcementOrder } : {}) }],
      subnetworks: [subnetwork],
      firewallPolicies: changes.firewallPolicies ?? [],
    },
    dns: {
      managedZones: fixtureJson<Json[]>('check/gcloud/managed-zones.json'),
      recordSets: { 'kf-test-gcr': fixtureJson<Json[]>('check/gcloud/record-sets-gcr.json'), 'kf-test-goog-apis': fixtureJson<Json[]>('check/gcloud/record-sets-googleapis.json') },
    },
    kubernetes: [],
    kubernetesObjects: [...items('check/gcloud/kubectl-webhooks.json'), ...cnrm],
    logging: changes.logging ?? [],
    deploy: { hydrated: [], builds: {} },
    hydratedFiles: [],
  };
}

const CRD_NAME = 'containerclusters.container.cnrm.cloud.google.com';

/** Config Connector 1.9.1's ContainerCluster CRD: ipAllocationPolicy without the fields private clusters need (#32). */
export function containerClusterCrd(): Json {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: CRD_NAME, labels: { 'cnrm.cloud.google.com/managed-by-kcc': 'true' } },
    spec: {
      group: 'container.cnrm.cloud.google.com',
      scope: 'Namespaced',
      names: { kind: 'ContainerCluster', plural: 'containerclusters', singular: 'containercluster', categories: ['gcp'] },
      versions: [
        {
          name: 'v1beta1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { ipAllocationPolicy: { type: 'object', properties: { clusterIpv4CidrBlock: { type: 'string' }, servicesIpv4CidrBlock: { type: 'string' } } } } } } } },
        },
      ],
    },
  };
}

/** The DeploymentRequest the deployment tests send: the sample, pointed at the kf-test network of the fixtures. */
export function deploymentRequest(id: string, changes: Json = {}): Json {
  return {
    ...JSON.parse(readFileSync('functions/samples/deployment-request.json', 'utf8')),
    id,
    project: PROJECT,
    name: 'kf-test',
    namespace: PROJECT,
    managementCluster: { name: 'kf-mgmt', location: 'us-central1' },
    ...changes,
  };
}

export interface DeployScenarioChanges extends ScenarioChanges {
  builds?: LoadedScenario['deploy']['builds'];
  /** Hydrated manifest fixtures (relative to test/fixtures) that configure "renders". */
  hydrated?: string[];
  extraHydrated?: { name: string; content: string }[];
}

/** A management cluster with Config Connector, and the blueprint rendered for kf-test. */
export function deployScenario(changes: DeployScenarioChanges = {}): LoadedScenario {
  const base = liveScenario(changes);
  const management = { ...liveCluster(), name: 'kf-mgmt', privateClusterConfig: {}, selfLink: `https://container.googleapis.com/v1/projects/${PROJECT}/locations/us-central1/clusters/kf-mgmt`, status: 'RUNNING' };
  const hydrated = (changes.hydrated ?? ['network.yaml', 'firewall.yaml', 'dns.yaml', 'nat.yaml', 'cluster.yaml']).map((name) => ({ name, content: readFileSync(fixturePath(`check/blueprint/${name}`), 'utf8') }));
  return {
    ...base,
    clusters: [{ gke: base.clusters[0]!.gke }, { gke: management }],
    kubernetesObjects: [containerClusterCrd(), ...base.kubernetesObjects],
    deploy: { hydrated: [], builds: changes.builds ?? {} },
    hydratedFiles: [...hydrated, ...(changes.extraHydrated ?? [])],
  };
}
