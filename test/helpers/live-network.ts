import { addExportValue } from '../../functions/src/core/config/gcloud.js';
import { addKubeObject } from '../../functions/src/core/config/kube.js';
import { fillRangesFromSubnetwork, finalizeConfig } from '../../functions/src/core/config/finalize.js';
import { emptyNetworkConfig, type NetworkConfig } from '../../functions/src/core/config/specs.js';
import { collectCheckObservations } from '../../functions/src/core/check/run.js';
import { firewallView } from '../../functions/src/core/check/context.js';
import { clusterModelFromGke, GkeClusterSchema, type ClusterModel } from '../../functions/src/core/model/cluster.js';
import { clusterKey } from '../../functions/src/core/pipeline/registry.js';
import type { NetworkSnapshot } from '../../functions/src/core/pipeline/snapshot.js';
import { loadScenario, type LoadedScenario } from '../../functions/src/dev/scenario.js';

export const DEMO_SCENARIO = 'functions/samples/demo/scenario.yaml';
export const INCIDENT_LOGS = 'functions/samples/incident-logs.ndjson';

export function demoScenario(): LoadedScenario {
  return loadScenario(DEMO_SCENARIO);
}

/**
 * A scenario's registered cluster and its network as the sweep converts them (the cluster's GKE
 * view, the Compute API's rules, networks and subnetworks, the Kubernetes objects), without the
 * stack: the snapshot the sweep would keep, and the config and model its checks run on.
 */
export function sweptNetwork(scenario: LoadedScenario): { config: NetworkConfig; model: ClusterModel; snapshot: NetworkSnapshot } {
  const registered = scenario.clusters.find((cluster) => cluster.register)!;
  const gke = clusterModelFromGke(GkeClusterSchema.parse(registered.gke));
  const sink = { config: emptyNetworkConfig(), kind: 'export' as const, reject: (source: string, reason: string) => { throw new Error(`${source}: ${reason}`); } };
  addExportValue({ firewalls: scenario.compute.firewalls, firewallPolicys: scenario.compute.firewallPolicies }, 'effectiveFirewalls', sink);
  scenario.compute.networks.forEach((network, index) => addExportValue({ ...network, selfLink: `https://www.googleapis.com/compute/v1/projects/${scenario.project}/global/networks/${network['name']}` }, `networks[${index}]`, sink));
  scenario.compute.subnetworks.forEach((subnetwork, index) => addExportValue(subnetwork, `subnetworks[${index}]`, sink));
  // Webhooks, Services and workloads from the cluster, Config Connector objects from the management cluster.
  scenario.kubernetesObjects.forEach((object, index) => addKubeObject(object, `kubernetes[${index}]`, sink));
  const config = finalizeConfig(sink.config);
  const model: ClusterModel = { ...gke, project: scenario.project, location: registered.register!.location };
  fillRangesFromSubnetwork({ model, podRangeName: undefined, serviceRangeName: undefined }, config);
  const checked = collectCheckObservations(config, { clusters: [model] }).clusters[0]!;
  const snapshot: NetworkSnapshot = { cluster: clusterKey(scenario.project, registered.register!.location, gke.name!), takenAt: new Date().toISOString(), model: checked, view: firewallView(config, checked).view };
  return { config, model: checked, snapshot };
}
