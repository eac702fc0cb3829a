import { clusterModelFromGke, GkeClusterSchema, type ClusterModel } from '../../core/model/cluster.js';
import { zodIssueText } from '../../core/logs/log-entry.js';
import { InputError, readJsonFile } from './files.js';

/** Loads `gcloud container clusters describe --format=json` output into a cluster model. */
export async function loadClusterFile(path: string): Promise<ClusterModel> {
  const parsed = GkeClusterSchema.safeParse(await readJsonFile(path));
  if (!parsed.success) {
    throw new InputError(`${path}: not the output of gcloud container clusters describe --format=json (${zodIssueText(parsed.error)})`);
  }
  return clusterModelFromGke(parsed.data);
}
