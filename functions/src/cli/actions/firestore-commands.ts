import type { Finding } from '../../core/findings/finding.js';
import { SEVERITIES } from '../../core/findings/finding.js';
import type { FindingStatus, StoredFinding } from '../../core/pipeline/finding-record.js';
import type { RegisteredCluster } from '../../core/pipeline/registry.js';
import { resetRuntimeConfig } from '../../adapters/config.js';
import { closeFirestore, firestore } from '../../adapters/firestore/client.js';
import { FindingStore } from '../../adapters/firestore/findings.js';
import { ClusterRegistry } from '../../adapters/firestore/registry.js';
import { useLocalStackIfRunning } from '../../adapters/local-stack.js';
import { UsageError, type CliIo } from '../io.js';

/**
 * The commands that read or write Firestore. They load the Firestore client, so the CLI imports
 * this module only when one of them runs: `kfguard analyze` stays fast to start.
 */
async function withFirestore<T>(io: CliIo, work: () => Promise<T>): Promise<T> {
  useLocalStackIfRunning(io.cwd, process.env);
  resetRuntimeConfig();
  if (!process.env['KFGUARD_PROJECT'] && !process.env['GOOGLE_CLOUD_PROJECT']) {
    throw new UsageError('no local stack is running here (.kfguard/dev.json) and KFGUARD_PROJECT is not set');
  }
  try {
    return await work();
  } finally {
    await closeFirestore();
  }
}

/** A stored finding in `analyze`'s JSON shape, with where it lives and its status. */
function asReported(finding: StoredFinding): Finding & { id: string; status: string; cluster: string } {
  return {
    id: finding.id,
    status: finding.status,
    cluster: finding.cluster ? `${finding.project}/${finding.location}/${finding.cluster}` : (finding.project ?? finding.scope),
    rule: finding.rule,
    severity: finding.severity,
    title: finding.title,
    count: finding.count,
    firstSeen: finding.firstSeen,
    lastSeen: finding.lastSeen,
    flow: finding.flow,
    firewallRule: finding.firewallRule,
    resources: finding.resources,
    explanation: finding.explanation,
    remediation: finding.remediation,
  };
}

const bySeverityThenCount = (a: StoredFinding, b: StoredFinding): number => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || b.count - a.count || a.id.localeCompare(b.id);

export const FINDING_STATUSES: readonly FindingStatus[] = ['open', 'resolved', 'muted'];

export async function findingsDocument(io: CliIo, status: FindingStatus | undefined) {
  const stored = await withFirestore(io, () => new FindingStore(firestore()).list(status ? { status } : {}));
  const stats = Object.fromEntries(FINDING_STATUSES.map((each) => [each, stored.filter((finding) => finding.status === each).length]));
  return { findings: stored.sort(bySeverityThenCount).map(asReported), stats };
}

export async function setFindingStatus(io: CliIo, id: string, status: FindingStatus): Promise<void> {
  await withFirestore(io, async () => {
    const store = new FindingStore(firestore());
    if (!(await store.get(id))) throw new UsageError(`no finding ${id}`);
    await store.setStatus(id, status, new Date());
  });
}

export async function registerCluster(io: CliIo, cluster: RegisteredCluster): Promise<void> {
  await withFirestore(io, () => new ClusterRegistry(firestore(), 0).put(cluster));
}

export async function listClusters(io: CliIo): Promise<RegisteredCluster[]> {
  return withFirestore(io, () => new ClusterRegistry(firestore(), 0).list());
}
