import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeKubernetes, pluralize } from '../../functions/src/dev/fakes/kubernetes.js';
import type { KubeObject } from '../../functions/src/dev/fakes/kubernetes.js';
import { ipAllocationGaps, ipAllocationPatch } from '../../functions/src/core/deploy/crd.js';

process.env.METADATA_SERVER_DETECTION = 'none';

const CNRM_CONTAINER = 'container.cnrm.cloud.google.com';
const CONTAINER_CLUSTER_CRD = `containerclusters.${CNRM_CONTAINER}`;
const IP_ALLOCATION_PROPERTIES = '/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/ipAllocationPolicy/properties';

const ready = (status: 'True' | 'False', reason: string, message: string) => ({
  conditions: [{ type: 'Ready', status, reason, message, lastTransitionTime: '2024-01-02T03:04:05Z' }],
});

const FIXTURES: KubeObject[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kubeflow' } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } },
  {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: CONTAINER_CLUSTER_CRD, labels: { 'cnrm.cloud.google.com/managed-by-kcc': 'true' } },
    spec: {
      group: CNRM_CONTAINER,
      names: { kind: 'ContainerCluster', plural: 'containerclusters', singular: 'containercluster', listKind: 'ContainerClusterList', shortNames: ['gcpcontainercluster'], categories: ['gcp'] },
      scope: 'Namespaced',
      versions: [{
        name: 'v1beta1', served: true, storage: true, subresources: { status: {} },
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { ipAllocationPolicy: { type: 'object', properties: { clusterIpv4CidrBlock: { type: 'string' } } } } } } } },
      }],
    },
  },
  {
    apiVersion: `${CNRM_CONTAINER}/v1beta1`, kind: 'ContainerCluster',
    metadata: { name: 'kf', namespace: 'kubeflow', labels: { 'kf-name': 'kf' }, annotations: { 'cnrm.cloud.google.com/project-id': 'kf-test-project' } },
    spec: { location: 'us-central1-c', privateClusterConfig: { enablePrivateNodes: true, masterIpv4CidrBlock: '172.16.0.32/28' } },
    status: ready('True', 'UpToDate', 'The resource is up to date'),
  },
  // No CRD for these two: the fake infers their resources, as Config Connector CRDs would declare them.
  {
    apiVersion: 'compute.cnrm.cloud.google.com/v1beta1', kind: 'ComputeRouterNAT',
    metadata: { name: 'kf-nat', namespace: 'kubeflow', labels: { 'kf-name': 'kf' } },
    spec: { region: 'us-central1', routerRef: { name: 'kf-router' } },
    status: ready('False', 'UpdateFailed', 'Update call failed: error applying desired state'),
  },
  {
    apiVersion: 'iam.cnrm.cloud.google.com/v1beta1', kind: 'IAMPolicyMember',
    metadata: { name: 'kf-admin', namespace: 'kubeflow' },
    spec: { member: 'serviceAccount:kf-admin@kf-test-project.iam.gserviceaccount.com', role: 'roles/owner' },
    status: ready('True', 'UpToDate', 'The resource is up to date'),
  },
  { apiVersion: 'kubeflow.org/v1', kind: 'Notebook', metadata: { name: 'nb1', namespace: 'kubeflow' }, spec: { template: {} } },
  {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: 'admission-webhook-service', namespace: 'kubeflow', labels: { app: 'admission-webhook', 'kustomize.component': 'admission-webhook' } },
    spec: { ports: [{ port: 443, targetPort: 4443 }], selector: { app: 'admission-webhook' } },
  },
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'istiod', namespace: 'istio-system', labels: { app: 'istiod' } }, spec: { ports: [{ name: 'https-webhook', port: 443, targetPort: 15017 }] } },
  { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'admission-webhook-deployment', namespace: 'kubeflow', labels: { app: 'admission-webhook' } }, spec: { replicas: 1 }, status: { readyReplicas: 1 } },
  { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'istiod', namespace: 'istio-system', labels: { app: 'istiod' } }, spec: { replicas: 1 }, status: { readyReplicas: 0 } },
  {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration',
    metadata: { name: 'admission-webhook-mutating-webhook-configuration' },
    webhooks: [{ name: 'admission-webhook-deployment.kubeflow.org', clientConfig: { service: { name: 'admission-webhook-service', namespace: 'kubeflow', path: '/apply-poddefault' } }, admissionReviewVersions: ['v1'], sideEffects: 'None', failurePolicy: 'Fail' }],
  },
];

function kubeConfig(server: string): k8s.KubeConfig {
  const config = new k8s.KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'fake', server, skipTLSVerify: true }],
    users: [{ name: 'anonymous' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'anonymous', namespace: 'kubeflow' }],
    currentContext: 'fake',
  });
  return config;
}

async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the request to fail');
}

describe('FakeKubernetes with @kubernetes/client-node', () => {
  let fake: FakeKubernetes;
  let config: k8s.KubeConfig;
  const getJson = async (path: string): Promise<{ status: number; body: any }> => {
    const response = await fetch(`${fake.url}${path}`);
    return { status: response.status, body: await response.json() };
  };
  const patchJson = async (path: string, contentType: string, body: unknown): Promise<{ status: number; body: any }> => {
    const response = await fetch(`${fake.url}${path}`, { method: 'PATCH', headers: { 'content-type': contentType }, body: JSON.stringify(body) });
    return { status: response.status, body: await response.json() };
  };

  beforeAll(async () => {
    fake = await FakeKubernetes.start();
    config = kubeConfig(fake.url);
  });
  afterAll(async () => {
    await fake.stop();
  });
  beforeEach(() => {
    fake.setObjects(FIXTURES);
    fake.requests.length = 0;
  });

  it('lists Config Connector objects with their status conditions through CustomObjectsApi', async () => {
    const custom = config.makeApiClient(k8s.CustomObjectsApi);
    const list: any = await custom.listNamespacedCustomObject({ group: CNRM_CONTAINER, version: 'v1beta1', namespace: 'kubeflow', plural: 'containerclusters' });

    expect(list).toMatchObject({ apiVersion: `${CNRM_CONTAINER}/v1beta1`, kind: 'ContainerClusterList', metadata: { resourceVersion: expect.stringMatching(/^\d+$/) } });
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({ apiVersion: `${CNRM_CONTAINER}/v1beta1`, kind: 'ContainerCluster', metadata: { name: 'kf', namespace: 'kubeflow', generation: 1, uid: expect.any(String) } });
    expect(list.items[0].status.conditions[0]).toMatchObject({ type: 'Ready', status: 'True', reason: 'UpToDate' });

    const nats: any = await custom.listNamespacedCustomObject({ group: 'compute.cnrm.cloud.google.com', version: 'v1beta1', namespace: 'kubeflow', plural: 'computerouternats' });
    expect(nats.items[0].status.conditions[0]).toMatchObject({ status: 'False', reason: 'UpdateFailed' });
    expect(fake.requests[0]).toEqual({ method: 'GET', path: `/apis/${CNRM_CONTAINER}/v1beta1/namespaces/kubeflow/containerclusters` });
  });

  it('serves typed lists: services and deployments in all namespaces, mutating webhook configurations', async () => {
    const services = await config.makeApiClient(k8s.CoreV1Api).listServiceForAllNamespaces();
    expect(services.items.map((service) => `${service.metadata?.namespace}/${service.metadata?.name}`)).toEqual(['istio-system/istiod', 'kubeflow/admission-webhook-service']);
    expect(services.items[1]?.spec?.ports?.[0]?.targetPort).toBe(4443);
    expect(services.items[0]?.metadata?.creationTimestamp).toBeInstanceOf(Date);

    const deployments = await config.makeApiClient(k8s.AppsV1Api).listDeploymentForAllNamespaces();
    expect(deployments.items.map((deployment) => [deployment.metadata?.name, deployment.status?.readyReplicas])).toEqual([['istiod', 0], ['admission-webhook-deployment', 1]]);

    const webhooks = await config.makeApiClient(k8s.AdmissionregistrationV1Api).listMutatingWebhookConfiguration();
    expect(webhooks.items[0]?.webhooks?.[0]?.clientConfig.service).toMatchObject({ name: 'admission-webhook-service', namespace: 'kubeflow', path: '/apply-poddefault' });
    expect(fake.requests.map((request) => request.path)).toEqual(['/api/v1/services', '/apis/apps/v1/deployments', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations']);
  });

  it('filters lists with label selectors (equality and set-based) and field selectors', async () => {
    const core = config.makeApiClient(k8s.CoreV1Api);
    const names = (list: k8s.V1ServiceList): (string | undefined)[] => list.items.map((service) => service.metadata?.name);
    expect(names(await core.listServiceForAllNamespaces({ labelSelector: 'app=admission-webhook,kustomize.component=admission-webhook' }))).toEqual(['admission-webhook-service']);
    expect(names(await core.listServiceForAllNamespaces({ labelSelector: 'app in (istiod, other),!kustomize.component' }))).toEqual(['istiod']);
    expect(names(await core.listServiceForAllNamespaces({ labelSelector: 'app!=istiod' }))).toEqual(['admission-webhook-service']);
    expect(names(await core.listNamespacedService({ namespace: 'kubeflow', fieldSelector: 'metadata.name=admission-webhook-service' }))).toEqual(['admission-webhook-service']);
    expect(fake.requests[0]?.path).toBe('/api/v1/services?labelSelector=app%3Dadmission-webhook%2Ckustomize.component%3Dadmission-webhook');

    const error = await rejection(core.listServiceForAllNamespaces({ labelSelector: 'app in ()' }));
    expect(error.code).toBe(400);
    expect(JSON.parse(error.body)).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
  });

  it('reads a CRD and applies the gcp-blueprints#32 JSON patch under ipAllocationPolicy.properties', async () => {
    const apiext = config.makeApiClient(k8s.ApiextensionsV1Api);
    const before = await apiext.readCustomResourceDefinition({ name: CONTAINER_CLUSTER_CRD });
    expect(before).toBeInstanceOf(k8s.V1CustomResourceDefinition);
    expect(before.metadata?.generation).toBe(1);
    expect(before.status?.conditions?.find((condition) => condition.type === 'Established')?.status).toBe('True');

    const body = [
      { op: 'test', path: `${IP_ALLOCATION_PROPERTIES}/clusterIpv4CidrBlock`, value: { type: 'string' } },
      { op: 'add', path: `${IP_ALLOCATION_PROPERTIES}/stackType`, value: { type: 'string' } },
      { op: 'add', path: `${IP_ALLOCATION_PROPERTIES}/podCidrOverprovisionConfig`, value: { type: 'object', properties: { disable: { type: 'boolean' } } } },
    ];
    const patched = await apiext.patchCustomResourceDefinition({ name: CONTAINER_CLUSTER_CRD, body, fieldManager: 'kfguard' });
    expect(fake.requests.at(-1)).toMatchObject({ method: 'PATCH', path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CONTAINER_CLUSTER_CRD}?fieldManager=kfguard`, contentType: 'application/json-patch+json', body });
    expect(patched.metadata?.generation).toBe(2);
    expect(Number(patched.metadata?.resourceVersion)).toBeGreaterThan(Number(before.metadata?.resourceVersion));

    const after = await apiext.readCustomResourceDefinition({ name: CONTAINER_CLUSTER_CRD });
    const properties = after.spec.versions[0]?.schema?.openAPIV3Schema?.properties?.spec?.properties?.ipAllocationPolicy?.properties;
    expect(Object.keys(properties ?? {})).toEqual(['clusterIpv4CidrBlock', 'stackType', 'podCidrOverprovisionConfig']);
    expect(properties?.podCidrOverprovisionConfig?.properties?.disable?.type).toBe('boolean');
    expect(fake.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', CONTAINER_CLUSTER_CRD)?.metadata.generation).toBe(2);
  });

  it.each<[string, Record<string, unknown>]>([
    ['no ipAllocationPolicy', {}],
    ['an ipAllocationPolicy without properties', { ipAllocationPolicy: { type: 'object' } }],
    ['an ipAllocationPolicy with some fields', { ipAllocationPolicy: { type: 'object', properties: { clusterIpv4CidrBlock: { type: 'string' } } } }],
  ])("kfguard's #32 patch applies to a ContainerCluster CRD with %s and closes every gap", async (_name, specProperties) => {
    const crd = structuredClone(FIXTURES[2]!) as any;
    crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties = specProperties;
    fake.upsert(crd);
    const apiext = config.makeApiClient(k8s.ApiextensionsV1Api);
    const gaps = ipAllocationGaps(JSON.parse(JSON.stringify(await apiext.readCustomResourceDefinition({ name: CONTAINER_CLUSTER_CRD }))));
    expect(gaps).toHaveLength(1);
    await apiext.patchCustomResourceDefinition({ name: CONTAINER_CLUSTER_CRD, body: ipAllocationPatch(gaps) });
    expect(ipAllocationGaps(JSON.parse(JSON.stringify(await apiext.readCustomResourceDefinition({ name: CONTAINER_CLUSTER_CRD }))))).toEqual([]);
  });

  it('rejects a JSON patch whose test fails with 422 and leaves the object unchanged', async () => {
    const apiext = config.makeApiClient(k8s.ApiextensionsV1Api);
    const body = [
      { op: 'add', path: `${IP_ALLOCATION_PROPERTIES}/stackType`, value: { type: 'string' } },
      { op: 'test', path: `${IP_ALLOCATION_PROPERTIES}/clusterIpv4CidrBlock`, value: { type: 'integer' } },
    ];
    const error = await rejection(apiext.patchCustomResourceDefinition({ name: CONTAINER_CLUSTER_CRD, body }));
    expect(error.code).toBe(422);
    expect(JSON.parse(error.body)).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Invalid', code: 422 });
    const crd: any = fake.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', CONTAINER_CLUSTER_CRD);
    expect(crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.ipAllocationPolicy.properties.stackType).toBeUndefined();
  });

  it('merge-patches metadata without bumping generation, and ignores status on resources with a status subresource', async () => {
    const apiext = config.makeApiClient(k8s.ApiextensionsV1Api);
    const merged = await apiext.patchCustomResourceDefinition(
      { name: CONTAINER_CLUSTER_CRD, body: { metadata: { annotations: { 'kfguard.dev/patched': 'true' }, labels: { 'cnrm.cloud.google.com/managed-by-kcc': null } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(fake.requests.at(-1)?.contentType).toBe('application/merge-patch+json');
    expect(merged.metadata?.annotations).toEqual({ 'kfguard.dev/patched': 'true' });
    expect(merged.metadata?.labels?.['cnrm.cloud.google.com/managed-by-kcc']).toBeUndefined();
    expect(merged.metadata?.generation).toBe(1);

    const custom = config.makeApiClient(k8s.CustomObjectsApi);
    const cluster: any = await custom.patchNamespacedCustomObject(
      { group: CNRM_CONTAINER, version: 'v1beta1', namespace: 'kubeflow', plural: 'containerclusters', name: 'kf', body: { spec: { location: 'us-central1' }, status: { conditions: [] } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(cluster.spec.location).toBe('us-central1');
    expect(cluster.metadata.generation).toBe(2);
    expect(cluster.status.conditions).toHaveLength(1);
  });

  it('supports every RFC 6902 operation and escaped pointers', async () => {
    const path = '/apis/apps/v1/namespaces/kubeflow/deployments/admission-webhook-deployment';
    const { status, body } = await patchJson(path, 'application/json-patch+json', [
      { op: 'add', path: '/metadata/annotations', value: {} },
      { op: 'add', path: '/metadata/annotations/kfguard.dev~1checked', value: 'yes' },
      { op: 'add', path: '/spec/template', value: { spec: { containers: [{ name: 'a' }] } } },
      { op: 'add', path: '/spec/template/spec/containers/-', value: { name: 'c' } },
      { op: 'add', path: '/spec/template/spec/containers/1', value: { name: 'b' } },
      { op: 'copy', from: '/spec/replicas', path: '/spec/minReadySeconds' },
      { op: 'move', from: '/metadata/labels/app', path: '/metadata/labels/component' },
      { op: 'replace', path: '/spec/replicas', value: 3 },
      { op: 'remove', path: '/spec/template/spec/containers/0' },
      { op: 'test', path: '/metadata/annotations/kfguard.dev~1checked', value: 'yes' },
    ]);
    expect(status).toBe(200);
    expect(body.metadata.annotations).toEqual({ 'kfguard.dev/checked': 'yes' });
    expect(body.metadata.labels).toEqual({ component: 'admission-webhook' });
    expect(body.spec).toEqual({ replicas: 3, template: { spec: { containers: [{ name: 'b' }, { name: 'c' }] } }, minReadySeconds: 1 });
    expect(body.status).toEqual({ readyReplicas: 1 });

    const missing = await patchJson(path, 'application/json-patch+json', [{ op: 'replace', path: '/spec/nothing/here', value: 1 }]);
    expect(missing.status).toBe(422);
    const malformed = await patchJson(path, 'application/json-patch+json', [{ op: 'frobnicate', path: '/spec' }]);
    expect(malformed.status).toBe(400);
    const strategic = await patchJson(path, 'application/strategic-merge-patch+json', { spec: {} });
    expect(strategic).toMatchObject({ status: 415, body: { reason: 'UnsupportedMediaType' } });
    const stale = await patchJson(path, 'application/merge-patch+json', { metadata: { resourceVersion: '1' }, spec: { replicas: 9 } });
    expect(stale).toMatchObject({ status: 409, body: { reason: 'Conflict' } });
    const unchanged = await patchJson(path, 'application/merge-patch+json', { spec: { replicas: 3 } });
    expect(unchanged.body.metadata.resourceVersion).toBe(body.metadata.resourceVersion);
  });

  it('creates namespaced custom resources with POST, and refuses duplicates', async () => {
    const custom = config.makeApiClient(k8s.CustomObjectsApi);
    const body = { apiVersion: 'kubeflow.org/v1', kind: 'Notebook', metadata: { name: 'nb2' }, spec: { template: {} } };
    const created: any = await custom.createNamespacedCustomObject({ group: 'kubeflow.org', version: 'v1', namespace: 'kubeflow', plural: 'notebooks', body });
    expect(created.metadata).toMatchObject({ name: 'nb2', namespace: 'kubeflow', generation: 1, resourceVersion: expect.any(String), uid: expect.any(String) });
    expect(fake.get('kubeflow.org/v1', 'Notebook', 'nb2', 'kubeflow')?.spec).toEqual({ template: {} });

    const duplicate = await rejection(custom.createNamespacedCustomObject({ group: 'kubeflow.org', version: 'v1', namespace: 'kubeflow', plural: 'notebooks', body }));
    expect(duplicate.code).toBe(409);
    expect(JSON.parse(duplicate.body)).toMatchObject({ reason: 'AlreadyExists', message: 'notebooks.kubeflow.org "nb2" already exists' });
    const wrongKind = await rejection(custom.createNamespacedCustomObject({ group: 'kubeflow.org', version: 'v1', namespace: 'kubeflow', plural: 'notebooks', body: { ...body, kind: 'Profile' } }));
    expect(wrongKind.code).toBe(400);
  });

  it('lists every resource in category gcp by discovery, the way `kubectl get gcp` does', async () => {
    const groups = await getJson('/apis');
    expect(groups.body.kind).toBe('APIGroupList');
    const found: string[] = [];
    for (const group of groups.body.groups) {
      const resources = await getJson(`/apis/${group.preferredVersion.groupVersion}`);
      expect(resources.body).toMatchObject({ kind: 'APIResourceList', groupVersion: group.preferredVersion.groupVersion });
      for (const resource of resources.body.resources) {
        if (!resource.categories?.includes('gcp') || !resource.verbs.includes('list')) continue;
        const list = await getJson(`/apis/${group.preferredVersion.groupVersion}/${resource.name}`);
        for (const item of list.body.items) {
          const ready = item.status?.conditions?.find((condition: any) => condition.type === 'Ready');
          found.push(`${item.kind}/${item.metadata.name}=${ready?.status}`);
        }
      }
    }
    expect(found.sort()).toEqual(['ComputeRouterNAT/kf-nat=False', 'ContainerCluster/kf=True', 'IAMPolicyMember/kf-admin=True']);

    const iam = await getJson('/apis/iam.cnrm.cloud.google.com/v1beta1');
    expect(iam.body.resources[0]).toMatchObject({ name: 'iampolicymembers', singularName: 'iampolicymember', namespaced: true, kind: 'IAMPolicyMember', categories: ['gcp'] });
    const core = await getJson('/api/v1');
    expect(core.body.resources.find((resource: any) => resource.name === 'services')).toMatchObject({ kind: 'Service', namespaced: true, shortNames: ['svc'], categories: ['all'] });
    expect(core.body.resources.find((resource: any) => resource.name === 'namespaces').namespaced).toBe(false);
    expect((await getJson('/api')).body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    expect((await getJson(`/apis/${CNRM_CONTAINER}`)).body).toMatchObject({ kind: 'APIGroup', preferredVersion: { version: 'v1beta1' } });
  });

  it('works with KubernetesObjectApi, which discovers the resource first', async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(config);
    const list = await objects.list(`${CNRM_CONTAINER}/v1beta1`, 'ContainerCluster', 'kubeflow');
    expect(list.items.map((item) => item.metadata?.name)).toEqual(['kf']);
    const crds = await objects.list('apiextensions.k8s.io/v1', 'CustomResourceDefinition');
    expect(crds.items.map((item) => item.metadata?.name)).toEqual([CONTAINER_CLUSTER_CRD]);
    expect(fake.requests.map((request) => request.path)).toContain(`/apis/${CNRM_CONTAINER}/v1beta1`);
  });

  it('pages lists with limit and continue', async () => {
    const first = await getJson('/api/v1/namespaces?limit=1');
    expect(first.body.items.map((item: any) => item.metadata.name)).toEqual(['istio-system']);
    expect(first.body.metadata).toMatchObject({ continue: expect.any(String), remainingItemCount: 1 });
    const second = await getJson(`/api/v1/namespaces?limit=1&continue=${first.body.metadata.continue}`);
    expect(second.body.items.map((item: any) => item.metadata.name)).toEqual(['kubeflow']);
    expect(second.body.metadata.continue).toBeUndefined();
  });

  it('answers 503 Status objects to everything while unavailable, then serves again', async () => {
    fake.setUnavailable('etcdserver: request timed out');
    const down = await getJson('/api/v1/namespaces');
    expect(down).toMatchObject({ status: 503, body: { kind: 'Status', code: 503, reason: 'ServiceUnavailable', message: 'etcdserver: request timed out' } });
    fake.setUnavailable(undefined);
    expect((await getJson('/api/v1/namespaces')).status).toBe(200);
  });

  it('answers unknown objects and resources with 404 Status objects', async () => {
    const core = config.makeApiClient(k8s.CoreV1Api);
    const service = await rejection(core.readNamespacedService({ name: 'nope', namespace: 'kubeflow' }));
    expect(service).toBeInstanceOf(k8s.ApiException);
    expect(service.code).toBe(404);
    expect(JSON.parse(service.body)).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'services "nope" not found', reason: 'NotFound', details: { name: 'nope', kind: 'services' }, code: 404,
    });
    const apiext = config.makeApiClient(k8s.ApiextensionsV1Api);
    const crd = await rejection(apiext.readCustomResourceDefinition({ name: 'nope.example.com' }));
    expect(JSON.parse(crd.body).message).toBe('customresourcedefinitions.apiextensions.k8s.io "nope.example.com" not found');
    const resource = await getJson('/apis/example.com/v1/namespaces/kubeflow/widgets');
    expect(resource).toMatchObject({ status: 404, body: { kind: 'Status', reason: 'NotFound', message: 'the server could not find the requested resource' } });
    expect((await getJson('/api/v1/namespaces/kubeflow/mutatingwebhookconfigurations')).status).toBe(404);
  });

  it('keeps the store consistent: upsert bumps resourceVersion and generation, bad fixtures throw', () => {
    const before = fake.get('apps/v1', 'Deployment', 'istiod', 'istio-system');
    fake.upsert({ ...FIXTURES[10]!, spec: { replicas: 2 } });
    const after = fake.get('apps/v1', 'Deployment', 'istiod', 'istio-system');
    expect(Number(after?.metadata.resourceVersion)).toBeGreaterThan(Number(before?.metadata.resourceVersion));
    expect(after?.metadata.generation).toBe(2);
    expect(after?.metadata.uid).toBe(before?.metadata.uid);
    fake.upsert({ ...after!, spec: { replicas: 3 } });
    expect(fake.get('apps/v1', 'Deployment', 'istiod', 'istio-system')?.metadata.generation).toBe(3);
    fake.upsert({ ...after!, metadata: { ...after!.metadata, generation: 7 }, status: { observedGeneration: 6 } });
    expect(fake.get('apps/v1', 'Deployment', 'istiod', 'istio-system')?.metadata.generation).toBe(7);

    expect(() => fake.upsert({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'no-namespace' } })).toThrow(/namespaced/);
    expect(() => fake.upsert({ apiVersion: 'apps/v1beta1', kind: 'Deployment', metadata: { name: 'old', namespace: 'x' } })).toThrow(/not served/);
    expect(() => fake.upsert({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x', namespace: 'y' } })).toThrow(/cluster-scoped/);
  });

  it('pluralizes kinds the way the API server names resources', () => {
    expect(['Service', 'NetworkPolicy', 'Gateway', 'Ingress', 'ComputeAddress', 'Endpoints', 'ComputeRouterNAT', 'IAMPolicy', 'Box'].map(pluralize))
      .toEqual(['services', 'networkpolicies', 'gateways', 'ingresses', 'computeaddresses', 'endpoints', 'computerouternats', 'iampolicies', 'boxes']);
  });

  it('stop() closes kept-alive connections so the process can exit', async () => {
    const other = await FakeKubernetes.start();
    await kubeConfig(other.url).makeApiClient(k8s.CoreV1Api).listNamespace();
    const started = Date.now();
    await other.stop();
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
