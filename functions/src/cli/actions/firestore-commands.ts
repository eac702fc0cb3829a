import { storedFindingsDocument, type FindingStatus } from '../../core/pipeline/finding-record.js';
import type { RegisteredCluster } from '../../core/pipeline/registry.js';
import { firestore } from '../../adapters/firestore/client.js';
import { FindingStore } from '../../adapters/firestore/findings.js';
import { ClusterRegistry } from '../../adapters/firestore/registry.js';
import { UsageError, type CliIo } from '../io.js';
import { withFirestore } from './connect.js';

/**
 * The commands that read or write Firestore. They load the Firestore client, so the CLI imports
 * this module only when one of them runs: `kfguard analyze` stays fast to start.
 */

export async function findingsDocument(io: CliIo, status: FindingStatus | undefined) {
  return storedFindingsDocument(await withFirestore(io, () => new FindingStore(firestore()).list(status ? { status } : {})));
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
