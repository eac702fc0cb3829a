import { checkObservation } from '../check/observation.js';
import { shellArg } from '../firewall/proposal.js';
import type { CheckRule } from './check-rule.js';

const UNHEALTHY = new Set(['ERROR', 'DEGRADED']);

export const clusterUnhealthy: CheckRule = {
  id: 'cluster-unhealthy',
  title: 'GKE reports the cluster unhealthy',
  severity: 'error',
  source: 'cluster-state',
  requires: ['clusters'],
  why: 'GKE sets a cluster to DEGRADED when it cannot keep it working (nodes not registering, the control plane unable to reach them, quota) and to ERROR when it cannot recover. On private clusters the usual cause is network: the same blocked flows that keep a CREATE_CLUSTER running forever.',
  remediation: "Describe the cluster for its status message and conditions, look at its recent operations, and check the firewall flows (kfguard check) and DENIED logs (kfguard analyze).",
  check(context) {
    const cluster = context.cluster;
    if (!cluster?.status || !UNHEALTHY.has(cluster.status)) return [];
    const name = cluster.name ?? 'CLUSTER';
    const location = cluster.location ? ` --location=${shellArg(cluster.location)}` : '';
    return [
      checkObservation(clusterUnhealthy, {
        key: [cluster.project, cluster.location, name],
        resources: [`cluster:${name}`],
        explanation: `Cluster ${name}${cluster.location ? ` (${cluster.location})` : ''} is ${cluster.status}${cluster.statusMessage ? `: ${cluster.statusMessage}` : ''}.`,
        remediation: {
          summary: `Read ${name}'s status message and recent operations, then fix the blocked flows kfguard reports for it.`,
          gcloud: `gcloud container clusters describe ${shellArg(name)}${location} --format='value(status,statusMessage,conditions)'\ngcloud container operations list${location} --filter=targetLink~/clusters/${shellArg(name)}$`,
          manifest: null,
        },
      }),
    ];
  },
};
