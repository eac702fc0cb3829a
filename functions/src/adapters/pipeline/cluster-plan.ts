import type { Plan } from '../../core/plan/plan.js';
import { planForStoredFindings } from '../../core/plan/stored.js';
import { firestore } from '../firestore/client.js';
import { FindingStore } from '../firestore/findings.js';
import { ClusterRegistry } from '../firestore/registry.js';
import { readClusterState } from './health-sweep.js';

export class UnknownClusterError extends Error {}

/**
 * The plan for a registered cluster: its open findings in the store, planned and proved against
 * its live network read now, as the sweep reads it. What could not be read keeps the plan
 * unverified and is named in its notes.
 */
export async function planForCluster(key: string): Promise<Plan> {
  const cluster = (await new ClusterRegistry(firestore(), 0).list()).find((registered) => registered.key === key);
  if (!cluster) throw new UnknownClusterError(`no registered cluster ${key} (kfguard clusters list)`);
  const [state, stored] = await Promise.all([readClusterState(cluster), new FindingStore(firestore()).list({ scope: key })]);
  const plan = planForStoredFindings(stored.filter((finding) => finding.status !== 'resolved'), state.config, state.model);
  if (state.errors.length === 0) return plan;
  return { ...plan, verified: false, notes: [...plan.notes, `The live network could not be read whole (${state.errors.join('; ')}): the plan was proved against what could.`] };
}
