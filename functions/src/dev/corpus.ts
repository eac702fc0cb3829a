/**
 * A realistic, deterministic stream of Cloud Logging entries from a private Kubeflow cluster:
 * mostly ALLOWED firewall entries, with DENIED ones for every firewall rule kfguard knows,
 * failed webhook calls and GKE operation audit entries. Used by the benchmarks and load tests.
 */
export interface CorpusOptions {
  entries: number;
  /** Fraction of firewall entries that are DENIED. */
  deniedFraction?: number;
  seed?: number;
  project?: string;
  network?: string;
  start?: Date;
}

/** Ranges the corpus uses; pass them to kfguard as flags or a cluster model. */
export const CORPUS_CLUSTER = {
  project: 'acme-ml-prod',
  network: 'kf-prod',
  masterCidr: '172.16.0.32/28',
  nodeCidr: '10.10.10.0/24',
  podCidr: '10.1.0.0/16',
  serviceCidr: '10.10.11.0/24',
};

function prng(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
}

interface Flow {
  direction: 'INGRESS' | 'EGRESS';
  src: string;
  dst: string;
  port: number;
  protocol: number;
  remote?: boolean;
}

export function* corpusEntries(options: CorpusOptions): Generator<Record<string, unknown>> {
  const random = prng(options.seed ?? 42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const int = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
  const project = options.project ?? CORPUS_CLUSTER.project;
  const network = options.network ?? CORPUS_CLUSTER.network;
  const start = (options.start ?? new Date('2026-11-20T09:00:00Z')).getTime();
  const denied = options.deniedFraction ?? 0.2;
  const nodes = Array.from({ length: 12 }, (_, i) => ({ vm: `gke-kf-prod-default-pool-${i < 6 ? '7d1c4f2a' : 'c3e81b90'}-${(1000 + i * 37).toString(36)}`, ip: `10.10.10.${20 + i}`, zone: i % 2 ? 'us-central1-a' : 'us-central1-c' }));
  const pod = () => `10.1.${int(0, 11)}.${int(2, 250)}`;
  const master = () => `172.16.0.${int(34, 35)}`;
  const deniedFlows: (() => Flow)[] = [
    () => ({ direction: 'INGRESS', src: master(), dst: pod(), port: pick([15017, 8443, 9443, 4443]), protocol: 6 }),
    () => ({ direction: 'INGRESS', src: master(), dst: pick(nodes).ip, port: 10250, protocol: 6 }),
    () => ({ direction: 'INGRESS', src: pick(['35.191.', '130.211.1.']) + (random() < 0.5 ? `${int(0, 255)}.${int(1, 254)}` : `${int(1, 254)}`), dst: pick(nodes).ip, port: pick([80, 443, 10256]), protocol: 6 }),
    () => ({ direction: 'INGRESS', src: `35.235.24${int(0, 3)}.${int(1, 254)}`, dst: pick(nodes).ip, port: 22, protocol: 6 }),
    () => ({ direction: 'EGRESS', src: pick(nodes).ip, dst: master(), port: 443, protocol: 6 }),
    () => ({ direction: 'EGRESS', src: pick(nodes).ip, dst: `199.36.153.${int(4, 7)}`, port: 443, protocol: 6 }),
    () => ({ direction: 'EGRESS', src: pod(), dst: pod(), port: pick([8080, 9090, 3306]), protocol: 6, remote: true }),
    () => ({ direction: 'EGRESS', src: pick(nodes).ip, dst: `142.250.${int(64, 127)}.${int(1, 254)}`, port: 443, protocol: 6 }),
    () => ({ direction: 'EGRESS', src: pick(nodes).ip, dst: pick(['3.211.199.249', '54.236.131.166', '104.18.121.25', '13.35.101.24']), port: 443, protocol: 6 }),
    () => ({ direction: 'INGRESS', src: `198.51.100.${int(1, 254)}`, dst: pick(nodes).ip, port: pick([3389, 23, 5900]), protocol: pick([6, 17]) }),
  ];
  const allowedFlows: (() => Flow)[] = [
    () => ({ direction: 'EGRESS', src: pick(nodes).ip, dst: `199.36.153.${int(4, 7)}`, port: 443, protocol: 6 }),
    () => ({ direction: 'EGRESS', src: pod(), dst: pod(), port: pick([8080, 8888, 53]), protocol: pick([6, 17]), remote: true }),
    () => ({ direction: 'INGRESS', src: master(), dst: pod(), port: 443, protocol: 6 }),
  ];
  const time = (i: number): string => new Date(start + Math.floor((i * 3_600_000) / Math.max(1, options.entries))).toISOString();
  for (let i = 0; i < options.entries; i++) {
    const roll = random();
    if (roll < 0.002) {
      yield webhookFailure(project, time(i), pick(WEBHOOK_MESSAGES));
      continue;
    }
    if (roll < 0.003) {
      yield auditOperation(project, time(i), i);
      continue;
    }
    const isDenied = random() < denied;
    const flow = (isDenied ? pick(deniedFlows) : pick(allowedFlows))();
    const node = pick(nodes);
    const rule = isDenied
      ? flow.direction === 'INGRESS'
        ? { name: `${network}-deny-all-ingress`, priority: 900, action: 'DENY' }
        : { name: `${network}-deny-egress`, priority: 1100, action: 'DENY' }
      : { name: `${network}-allow-internal`, priority: 1000, action: 'ALLOW' };
    const instance = { project_id: project, region: 'us-central1', vm_name: node.vm, zone: node.zone };
    yield {
      insertId: `${(0x100000 + i).toString(36)}${int(0, 1e6).toString(36)}`,
      jsonPayload: {
        connection: { dest_ip: flow.dst, dest_port: flow.port, protocol: flow.protocol, src_ip: flow.src, src_port: int(32768, 60999) },
        disposition: isDenied ? 'DENIED' : 'ALLOWED',
        instance,
        rule_details: {
          action: rule.action,
          direction: flow.direction,
          ip_port_info: [{ ip_protocol: flow.protocol === 6 ? 'TCP' : 'UDP', port_range: [String(flow.port)] }],
          priority: rule.priority,
          reference: `network:${network}/firewall:${rule.name}`,
          [flow.direction === 'INGRESS' ? 'source_range' : 'destination_range']: ['0.0.0.0/0'],
        },
        vpc: { project_id: project, subnetwork_name: network, vpc_name: network },
        ...(flow.remote ? { remote_instance: { ...instance, vm_name: pick(nodes).vm }, remote_vpc: { project_id: project, subnetwork_name: network, vpc_name: network } } : {}),
      },
      logName: `projects/${project}/logs/compute.googleapis.com%2Ffirewall`,
      receiveTimestamp: time(i),
      resource: { labels: { location: node.zone, project_id: project, subnetwork_id: '4406154752813719316', subnetwork_name: network }, type: 'gce_subnetwork' },
      timestamp: time(i),
    };
  }
}

const WEBHOOK_MESSAGES = [
  'Internal error occurred: failed calling webhook "webhook.cert-manager.io": the server is currently unable to handle the request',
  'Internal error occurred: failed calling webhook "namespace.sidecar-injector.istio.io": failed to call webhook: Post "https://istiod.istio-system.svc:443/inject?timeout=10s": context deadline exceeded',
  'Internal error occurred: failed calling webhook "inferenceservice.kserve-webhook-server.defaulter": failed to call webhook: Post "https://kserve-webhook-server-service.kubeflow.svc:443/mutate-serving-kserve-io-v1beta1-inferenceservice?timeout=10s": context deadline exceeded',
];

function webhookFailure(project: string, time: string, message: string): Record<string, unknown> {
  return {
    insertId: `wh-${time}`,
    logName: `projects/${project}/logs/cloudaudit.googleapis.com%2Factivity`,
    protoPayload: { '@type': 'type.googleapis.com/google.cloud.audit.AuditLog', methodName: 'io.k8s.core.v1.pods.create', serviceName: 'k8s.io', status: { code: 13, message } },
    resource: { labels: { cluster_name: 'kf-prod', location: 'us-central1', project_id: project }, type: 'k8s_cluster' },
    severity: 'ERROR',
    timestamp: time,
    receiveTimestamp: time,
  };
}

function auditOperation(project: string, time: string, i: number): Record<string, unknown> {
  const id = `operation-${1763629320511 + (i % 5)}-7c1f2e9a`;
  return {
    insertId: `op-${i}`,
    logName: `projects/${project}/logs/cloudaudit.googleapis.com%2Factivity`,
    operation: { first: true, id, producer: 'container.googleapis.com' },
    protoPayload: {
      '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
      methodName: 'google.container.v1.ClusterManager.CreateNodePool',
      resourceName: `projects/${project}/locations/us-central1/clusters/kf-prod/nodePools/pool-${i % 5}`,
      serviceName: 'container.googleapis.com',
      response: { name: id, operationType: 'CREATE_NODE_POOL', status: 'RUNNING' },
    },
    resource: { labels: { cluster_name: 'kf-prod', location: 'us-central1', project_id: project }, type: 'gke_cluster' },
    severity: 'NOTICE',
    timestamp: time,
    receiveTimestamp: time,
  };
}
