import type { KubeConfig } from '@kubernetes/client-node';
import { runtimeConfig } from '../config.js';
import { getCluster } from './container.js';
import { accessToken } from './auth.js';

export type KubeObject = Record<string, unknown> & { apiVersion: string; kind: string };

const CNRM_GROUP = /\.cnrm\.cloud\.google\.com$/;

/** The local stack's Kubernetes API (no auth), or a GKE cluster's endpoint with its CA and an OAuth token. */
export async function kubeConfigFor(cluster: { project: string; location: string; name: string }): Promise<KubeConfig> {
  const { KubeConfig: Config } = await import('@kubernetes/client-node');
  const config = new Config();
  const local = runtimeConfig().endpoints.kubeApiUrl;
  if (local) {
    config.loadFromOptions({
      clusters: [{ name: cluster.name, server: local, skipTLSVerify: true }],
      users: [{ name: 'kfguard' }],
      contexts: [{ name: 'kfguard', cluster: cluster.name, user: 'kfguard' }],
      currentContext: 'kfguard',
    });
    return config;
  }
  const gke = await getCluster(cluster.project, cluster.location, cluster.name);
  const privateEndpoint = (gke['privateClusterConfig'] as { privateEndpoint?: string } | undefined)?.privateEndpoint;
  const endpoint = String((runtimeConfig().endpoints.kubeEndpoint === 'private' ? privateEndpoint : gke['endpoint']) ?? '');
  const caData = String((gke['masterAuth'] as { clusterCaCertificate?: string } | undefined)?.clusterCaCertificate ?? '');
  if (!endpoint) throw new Error(`cannot reach the Kubernetes API of ${cluster.name}: no ${runtimeConfig().endpoints.kubeEndpoint} endpoint`);
  const token = await accessToken();
  config.loadFromOptions({
    clusters: [{ name: cluster.name, server: `https://${endpoint}`, caData }],
    users: [{ name: 'kfguard', token }],
    contexts: [{ name: 'kfguard', cluster: cluster.name, user: 'kfguard' }],
    currentContext: 'kfguard',
  });
  return config;
}

/** Plain JSON with apiVersion and kind set: list items come without them, typed models carry Dates. */
function plain(items: readonly unknown[], apiVersion: string, kind: string): KubeObject[] {
  return items.map((item) => ({ ...(JSON.parse(JSON.stringify(item)) as Record<string, unknown>), apiVersion, kind }));
}

/**
 * Every Config Connector resource in a namespace with its status, as `kubectl get gcp -n NS`
 * lists it: the groups named *.cnrm.cloud.google.com, their resources in category `gcp`.
 */
export async function listConfigConnectorResources(config: KubeConfig, namespace: string): Promise<KubeObject[]> {
  const { ApisApi, CustomObjectsApi } = await import('@kubernetes/client-node');
  const groups = (await config.makeApiClient(ApisApi).getAPIVersions()).groups.filter((group) => CNRM_GROUP.test(group.name));
  const custom = config.makeApiClient(CustomObjectsApi);
  const objects: KubeObject[] = [];
  for (const group of groups) {
    const version = group.preferredVersion?.version ?? group.versions[0]?.version;
    if (!version) continue;
    const resources = (await custom.getAPIResources({ group: group.name, version })).resources.filter((resource) => !resource.name.includes('/') && resource.namespaced && (resource.categories ?? []).includes('gcp'));
    for (const resource of resources) {
      const list = (await custom.listNamespacedCustomObject({ group: group.name, version, namespace, plural: resource.name })) as { items?: unknown[] };
      objects.push(...plain(list.items ?? [], `${group.name}/${version}`, resource.kind));
    }
  }
  return objects;
}

/** Webhook configurations and what they call: Services and the workloads those select. */
export async function listWebhookObjects(config: KubeConfig): Promise<KubeObject[]> {
  const { AdmissionregistrationV1Api, AppsV1Api, CoreV1Api } = await import('@kubernetes/client-node');
  const admission = config.makeApiClient(AdmissionregistrationV1Api);
  const apps = config.makeApiClient(AppsV1Api);
  const [mutating, validating, services, deployments, statefulSets, daemonSets] = await Promise.all([
    admission.listMutatingWebhookConfiguration(),
    admission.listValidatingWebhookConfiguration(),
    config.makeApiClient(CoreV1Api).listServiceForAllNamespaces(),
    apps.listDeploymentForAllNamespaces(),
    apps.listStatefulSetForAllNamespaces(),
    apps.listDaemonSetForAllNamespaces(),
  ]);
  return [
    ...plain(mutating.items, 'admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration'),
    ...plain(validating.items, 'admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration'),
    ...plain(services.items, 'v1', 'Service'),
    ...plain(deployments.items, 'apps/v1', 'Deployment'),
    ...plain(statefulSets.items, 'apps/v1', 'StatefulSet'),
    ...plain(daemonSets.items, 'apps/v1', 'DaemonSet'),
  ];
}

export async function readCustomResourceDefinition(config: KubeConfig, name: string): Promise<Record<string, unknown> | undefined> {
  const { ApiextensionsV1Api } = await import('@kubernetes/client-node');
  try {
    return JSON.parse(JSON.stringify(await config.makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name }))) as Record<string, unknown>;
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  }
}

/** Applies an RFC 6902 JSON patch to a CRD (client-node sends application/json-patch+json for a list of operations). */
export async function patchCustomResourceDefinition(config: KubeConfig, name: string, operations: readonly Record<string, unknown>[]): Promise<void> {
  const { ApiextensionsV1Api } = await import('@kubernetes/client-node');
  await config.makeApiClient(ApiextensionsV1Api).patchCustomResourceDefinition({ name, body: [...operations] });
}
