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

/** Sets a finding's status, named by its id or any prefix of it that only it has; returns the full id. */
export async function setFindingStatus(io: CliIo, idOrPrefix: string, status: FindingStatus): Promise<string> {
  return withFirestore(io, async () => {
    const store = new FindingStore(firestore());
    if (!/^[0-9a-f]{1,32}$/.test(idOrPrefix)) throw new UsageError(`${idOrPrefix}: a finding id is hexadecimal (the ID column of kfguard findings)`);
    const ids = await store.idsStartingWith(idOrPrefix);
    if (ids.length === 0) throw new UsageError(`no finding ${idOrPrefix}`);
    if (ids.length > 1) throw new UsageError(`${idOrPrefix} names more than one finding (${ids.join(', ')}…): give more characters`);
    await store.setStatus(ids[0]!, status, new Date());
    return ids[0]!;
  });
}

export async function registerCluster(io: CliIo, cluster: RegisteredCluster): Promise<void> {
  await withFirestore(io, () => new ClusterRegistry(firestore(), 0).put(cluster));
}

export async function listClusters(io: CliIo): Promise<RegisteredCluster[]> {
  return withFirestore(io, () => new ClusterRegistry(firestore(), 0).list());
}
