import { formatClusterId } from '../../../core/model/cluster-id.js';
import { rangeDifferences } from '../../../core/deploy/network-ranges.js';
import { parseStorageUrl } from '../../../core/deploy/stages.js';
import { runChecks } from '../../../core/check/run.js';
import { addManifestText } from '../../../core/config/manifests.js';
import { finalizeConfig } from '../../../core/config/finalize.js';
import type { ConfigSink } from '../../../core/config/kube.js';
import { emptyNetworkConfig, type ClusterSpec } from '../../../core/config/specs.js';
import { emptyClusterModel, type ClusterModel } from '../../../core/model/cluster.js';
import type { DeploymentRequest } from '../../../core/deploy/request.js';
import { listObjects, readObject } from '../../gcp/storage.js';
import { summarizeFindings, type StageHandler } from '../stage-handler.js';

/** What the request says the cluster is, for manifests that do not hold a ContainerCluster. */
function requestedCluster(request: DeploymentRequest): ClusterModel {
  return {
    ...emptyClusterModel(),
    name: request.name,
    project: request.project,
    location: request.location,
    network: request.name,
    privateNodes: true,
    masterCidr: request.network.controlPlaneCidr,
    nodeCidrs: [request.network.nodeCidr],
    podCidrs: [request.network.podCidr],
    serviceCidrs: [request.network.serviceCidr],
    origins: { master: 'flag', node: 'flag', pod: 'flag', service: 'flag' },
  };
}

/** The rendered cluster: the one named like the Kubeflow, or the only one. */
function renderedCluster(clusters: readonly ClusterSpec[], name: string): ClusterModel | undefined {
  const models = clusters.map((cluster) => cluster.model);
  return models.find((model) => model.name === name) ?? (models.length === 1 ? models[0] : undefined);
}

/**
 * `kfguard check` on the rendered manifests (the configure build's `.build/`, Config Connector
 * resources and the Kubeflow webhooks together) before anything is applied: any error finding
 * fails the deployment, with the findings in the result. So does a rendered cluster whose ranges
 * are not the request's: configure writes them, and the checks would judge the wrong network.
 */
export const gateStage: StageHandler = async ({ request, inputs }) => {
  const { bucket, path: prefix } = parseStorageUrl(inputs['manifests']!)!;
  const names = (await listObjects(bucket, prefix)).filter((name) => /\.ya?ml$/i.test(name));
  if (names.length === 0) return { status: 'failed', reason: `no hydrated manifests under gs://${bucket}/${prefix}: did configure run make hydrate?` };
  const rejected: string[] = [];
  const sink: ConfigSink = { config: emptyNetworkConfig(), reject: (source, reason) => rejected.push(`${source}: ${reason}`), kind: 'manifest' };
  for (const name of names) addManifestText(await readObject(bucket, name), `gs://${bucket}/${name}`, sink);
  const config = finalizeConfig(sink.config);
  const rendered = renderedCluster(config.clusters, request.name);
  const differences = rendered ? rangeDifferences(rendered, request.network) : [];
  if (differences.length > 0) {
    return { status: 'failed', reason: `the rendered cluster ${rendered!.name ?? request.name} does not have the request's network ranges: ${differences.join(', ')}. configure writes them into the private-GKE package (kfguard blueprint enable-private --master-cidr ...); has the blueprint's layout changed?` };
  }
  const report = runChecks(config, { clusters: config.clusters.length > 0 ? [] : [requestedCluster(request)] });
  const errors = report.findings.filter((finding) => finding.severity === 'error');
  const cluster = formatClusterId(request);
  const counts = `${names.length} manifest files, ${report.stats.firewallRules} firewall rules, ${report.stats.webhooks} webhooks; ${report.findings.length} findings (${errors.length} errors), ${rejected.length} documents rejected`;
  if (errors.length > 0) {
    return { status: 'failed', reason: `kfguard check found ${errors.length} error${errors.length === 1 ? '' : 's'} in the rendered manifests: ${errors.map((finding) => finding.rule).join(', ')}. ${counts}`, findings: summarizeFindings(errors, cluster) };
  }
  return { status: 'succeeded', reason: counts, ...(report.findings.length > 0 ? { findings: summarizeFindings(report.findings, cluster) } : {}) };
};
