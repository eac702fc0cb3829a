import { blockedFlowCause, missingResourceCause, type CauseSpec } from '../../functions/src/core/findings/causes.js';
import type { Remediation, Severity } from '../../functions/src/core/findings/finding.js';
import { renderFix, type FirewallFix } from '../../functions/src/core/firewall/fix.js';
import { namedProposal, singlePorts } from '../../functions/src/core/firewall/proposal.js';
import { findingId } from '../../functions/src/core/pipeline/fingerprint.js';
import type { FindingStatus, StoredFinding } from '../../functions/src/core/pipeline/finding-record.js';
import type { RegisteredCluster } from '../../functions/src/core/pipeline/registry.js';

/** The four clusters the generated findings are spread over. */
export const GENERATED_CLUSTERS = [
  { project: 'acme-ml-prod', location: 'us-central1', name: 'kf-prod', master: '172.16.0.32/28' },
  { project: 'acme-ml-prod', location: 'europe-west4', name: 'kf-eu', master: '172.16.1.32/28' },
  { project: 'acme-ml-dev', location: 'us-central1', name: 'kf-dev', master: '172.16.2.32/28' },
  { project: 'acme-ml-stage', location: 'us-east1', name: 'kf-stage', master: '172.16.3.32/28' },
] as const;

type GeneratedCluster = (typeof GENERATED_CLUSTERS)[number];

export const clusterIdOf = (cluster: GeneratedCluster): string => `${cluster.project}:${cluster.location}:${cluster.name}`;

/** Webhook ports each cluster's control plane is denied on: 20 ports, each seen in the logs and in the live rules. */
export const WEBHOOK_PORTS = Array.from({ length: 20 }, (_, i) => 9400 + i);

/** What a finding's log entry carries that the page must show as text, never run. */
export const HOSTILE_ENTRY = '{"jsonPayload":{"rule_details":{"reference":"</pre><script>alert(\'entry\')</script><img src=x onerror=alert(1)>"}}}';

const DAY_MINUTES = 24 * 60;
const minutesAgo = (now: Date, minutes: number): string => new Date(now.getTime() - minutes * 60_000).toISOString();

function firewallRemediation(cluster: GeneratedCluster, port: number, summary: string): Remediation {
  const fix: FirewallFix = {
    kind: 'vpc-rule',
    proposal: namedProposal(['webhook', 'tcp', port], {
      project: cluster.project,
      network: cluster.name,
      direction: 'INGRESS',
      priority: 899,
      allow: [{ protocol: 'tcp', ports: singlePorts(port) }],
      sourceRanges: [cluster.master],
      targetTags: [`gke-${cluster.name}-7d1c4f2a-node`],
      description: `kfguard: control plane to webhook on tcp:${port}`,
    }),
  };
  return { summary, ...renderFix(fix), changes: [fix], layer: 'vpc-firewall' };
}

interface Spec {
  rule: string;
  severity: Severity;
  title: string;
  key: string;
  evidenceOf: CauseSpec | null | undefined;
  remediation: Remediation;
  port?: number;
  firewallRule?: string;
  logged?: boolean;
  status?: FindingStatus;
}

function stored(cluster: GeneratedCluster, spec: Spec, index: number, now: Date): StoredFinding {
  const scope = clusterIdOf(cluster);
  const status = spec.status ?? 'open';
  // Closed findings changed status days ago: only a read of closed findings finds them, not the chart's.
  const open = status === 'open';
  const lastSeen = minutesAgo(now, open ? 2 + (index % 50) : DAY_MINUTES * 4);
  const firstSeen = minutesAgo(now, open ? 90 + (index % 300) : DAY_MINUTES * 5);
  const samples = spec.logged
    ? [
        { time: firstSeen, source: `insert-${index}-a`, entry: `{"jsonPayload":{"connection":{"dest_port":${spec.port ?? 0}}}}` },
        { time: lastSeen, source: `insert-${index}-b`, entry: index === 0 ? HOSTILE_ENTRY : `{"jsonPayload":{"connection":{"dest_port":${spec.port ?? 0}},"disposition":"DENIED"}}` },
      ]
    : [];
  const finding: StoredFinding = {
    id: findingId(scope, spec.key),
    scope,
    project: cluster.project,
    location: cluster.location,
    cluster: cluster.name,
    rule: spec.rule,
    severity: spec.severity,
    title: spec.title,
    status,
    count: spec.logged ? 3 + (index % 17) : 1,
    firstSeen,
    lastSeen,
    flow: spec.port === undefined ? null : { direction: 'INGRESS', protocol: 'tcp', source: cluster.master, destination: `gke-${cluster.name}-7d1c4f2a-node`, ports: [spec.port] },
    firewallRule: spec.firewallRule ?? null,
    firewallLayer: spec.firewallRule ? 'vpc-firewall' : null,
    resources: [],
    explanation: `${spec.title} (${cluster.name}).`,
    remediation: spec.remediation,
    evidenceOf: spec.evidenceOf ?? null,
    stateVersion: open ? 1 : 2,
    statusChangedAt: open ? firstSeen : minutesAgo(now, DAY_MINUTES * 3),
    updatedAt: lastSeen,
    samples,
  };
  // Findings stored before causes were recorded have no evidenceOf at all.
  if (spec.evidenceOf === undefined) delete (finding as Partial<StoredFinding>).evidenceOf;
  return finding;
}

function clusterSpecs(cluster: GeneratedCluster): Spec[] {
  const deny = `${cluster.name}-deny-all-ingress`;
  const webhook = WEBHOOK_PORTS.flatMap((port): Spec[] => {
    const evidenceOf = blockedFlowCause('INGRESS', 'control-plane', 'tcp', [port], deny);
    const remediation = firewallRemediation(cluster, port, `Allow tcp:${port} from the control-plane range to the nodes.`);
    return [
      { rule: 'webhook-port-blocked', severity: 'error', title: 'Control plane cannot reach an admission webhook port', key: `log|${port}`, evidenceOf, remediation, port, firewallRule: deny, logged: true },
      { rule: 'webhook-port-not-allowed', severity: 'error', title: 'No firewall rule lets the control plane reach a webhook port', key: `config|${port}`, evidenceOf, remediation, port, firewallRule: deny },
    ];
  });
  const healthCheck = (port: number, rule: string, key: string): Spec => ({
    rule,
    severity: 'error',
    title: "Google's health checks cannot reach the nodes",
    key,
    evidenceOf: blockedFlowCause('INGRESS', 'health-check', 'tcp', [port], 'implied-deny-ingress'),
    remediation: { summary: `Allow tcp:${port} from 35.191.0.0/16 and 130.211.0.0/22.`, gcloud: `gcloud compute firewall-rules create ${cluster.name}-allow-health-checks --network=${cluster.name} --allow=tcp:${port} --source-ranges=35.191.0.0/16,130.211.0.0/22`, manifest: null },
    port,
    firewallRule: 'implied-deny-ingress',
    logged: rule === 'health-check-blocked',
  });
  const dns = missingResourceCause('private-dns', 'Google API names do not resolve to the restricted VIP');
  const called: Spec = {
    rule: 'webhook-call-failed',
    severity: 'error',
    title: 'The API server failed to call an admission webhook',
    key: 'call|9400',
    evidenceOf: blockedFlowCause('INGRESS', 'control-plane', 'tcp', [9400], null),
    remediation: firewallRemediation(cluster, 9400, 'Allow tcp:9400 from the control-plane range to the nodes.'),
    port: 9400,
    logged: true,
  };
  return [
    ...webhook,
    called,
    healthCheck(10256, 'health-check-blocked', 'hc|log|10256'),
    healthCheck(80, 'health-check-blocked', 'hc|log|80'),
    healthCheck(10256, 'required-flow-blocked', 'hc|config|10256'),
    healthCheck(80, 'required-flow-blocked', 'hc|config|80'),
    { rule: 'private-dns-missing', severity: 'error', title: 'No private zone for googleapis.com', key: 'dns', evidenceOf: dns, remediation: { summary: 'Create the private zone.', gcloud: `gcloud dns managed-zones create googleapis --visibility=private --networks=${cluster.name} --dns-name=googleapis.com.`, manifest: 'apiVersion: dns.cnrm.cloud.google.com/v1beta1\nkind: DNSManagedZone\nmetadata:\n  name: googleapis\n' } },
    { rule: 'internet-egress-blocked', severity: 'warning', title: 'Nodes reach a public Google address', key: 'egress|443', evidenceOf: dns, remediation: { summary: 'Resolve Google APIs to the restricted VIP.', gcloud: null, manifest: null }, logged: true },
    { rule: 'operation-stuck', severity: 'error', title: 'A GKE operation is stuck', key: 'operation', evidenceOf: null, remediation: { summary: 'See why the operation is stuck.', gcloud: `gcloud container operations describe operation-1 --location=${cluster.location}`, manifest: null } },
    { rule: 'authorized-networks-disabled', severity: 'warning', title: 'Control-plane authorized networks are off', key: 'authorized', evidenceOf: null, remediation: { summary: 'Turn on authorized networks.', gcloud: `gcloud container clusters update ${cluster.name} --enable-master-authorized-networks`, manifest: null } },
    { rule: 'iap-blocked', severity: 'info', title: 'IAP TCP forwarding cannot reach the nodes', key: 'iap', evidenceOf: undefined, remediation: { summary: 'Allow tcp:22 from 35.235.240.0/20.', gcloud: null, manifest: null } },
  ];
}

/** Closed findings beside the 200 open ones: the status filter's other values. */
function closedSpecs(cluster: GeneratedCluster, index: number): Spec[] {
  const remediation = { summary: 'Nothing left to do.', gcloud: null, manifest: null };
  return [
    { rule: 'master-to-node-blocked', severity: 'error', title: 'Control plane cannot reach the kubelet', key: 'resolved|10250', evidenceOf: null, remediation, status: 'resolved' },
    { rule: 'cluster-not-private', severity: 'warning', title: 'The cluster has public nodes', key: 'resolved|public', evidenceOf: null, remediation, status: 'resolved' },
    ...(index % 2 === 0 ? [{ rule: 'deny-logging-disabled', severity: 'info' as const, title: 'A deny rule does not log', key: 'muted|logging', evidenceOf: null, remediation, status: 'muted' as const }] : []),
  ];
}

/**
 * 200 open findings over four clusters, 50 each: 41 of one webhook cause (seen in firewall logs, the
 * API server and the live rules), 4 of health checks, 2 of missing private DNS, and three findings
 * that are each their own cause; and 10 closed ones.
 */
export function generatedFindings(now: Date): StoredFinding[] {
  return GENERATED_CLUSTERS.flatMap((cluster, c) => [...clusterSpecs(cluster), ...closedSpecs(cluster, c)].map((spec, i) => stored(cluster, spec, c * 100 + i, now)));
}

export function generatedClusters(now: Date): RegisteredCluster[] {
  return GENERATED_CLUSTERS.map((cluster) => ({
    key: clusterIdOf(cluster),
    project: cluster.project,
    location: cluster.location,
    name: cluster.name,
    model: {} as RegisteredCluster['model'],
    registeredAt: minutesAgo(now, 3000),
    lastSweep: { at: minutesAgo(now, 4), status: 'ok', openFindings: 50 },
  }));
}
