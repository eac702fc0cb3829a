import { checkObservation } from '../check/observation.js';
import { shellArg } from '../firewall/proposal.js';
import type { CheckRule } from './check-rule.js';

export const clusterNotPrivate: CheckRule = {
  id: 'cluster-not-private',
  title: 'The cluster does not have private nodes',
  severity: 'error',
  source: 'configuration',
  requires: ['clusters'],
  why: "The guide's deployment relies on nodes without external addresses (privateClusterConfig.enablePrivateNodes), reaching Google only through the restricted VIP. Without it the nodes are on the internet and the private network design (deny-all egress, private DNS, NAT) protects nothing; the blueprint's cluster-private-patch.yaml sets it.",
  remediation: 'Add the private-cluster patch (cluster-private-patch.yaml) to the kustomization and set gke.private true; an existing cluster must be recreated.',
  check(context) {
    const cluster = context.cluster;
    if (!cluster || cluster.privateNodes) return [];
    const name = cluster.name ?? 'CLUSTER';
    return [
      checkObservation(clusterNotPrivate, {
        key: [name],
        resources: [`cluster:${name}`],
        explanation: `Cluster ${name} does not set privateClusterConfig.enablePrivateNodes: its nodes get external addresses.`,
        remediation: {
          summary: 'Enable private nodes (the blueprint: add ../../upstream/manifests/gcp/v2/privateGKE/cluster-private-patch.yaml to patchesStrategicMerge; kfguard blueprint enable-private does it).',
          gcloud: `gcloud container clusters update ${shellArg(name)}${cluster.location ? ` --location=${shellArg(cluster.location)}` : ''} --enable-private-nodes`,
          manifest: `spec:\n  privateClusterConfig:\n    enablePrivateNodes: true\n    enablePrivateEndpoint: false\n    masterIpv4CidrBlock: ${cluster.masterCidr?.text ?? '172.16.0.32/28'}\n`,
        },
      }),
    ];
  },
};
