import { clusterIdOrName, clusterModelFromGke, GkeClusterSchema, isNamed, type ClusterModel } from '../../core/model/cluster.js';
import { zodIssueText } from '../../core/logs/log-entry.js';
import { InputError, readJsonFile } from './files.js';

/** The clusters of `gcloud container clusters describe` (one), `list` (an array) or the API's `{"clusters": [...]}`. */
function clusterValues(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  const listed = value !== null && typeof value === 'object' ? (value as { clusters?: unknown }).clusters : undefined;
  return Array.isArray(listed) ? listed : [value];
}

/** Picks one cluster, by `--cluster-name` when there are several; a name that matches none, or several, is an error. */
export function pickCluster(models: readonly ClusterModel[], name: string | undefined, where: string): ClusterModel {
  const matching = name ? models.filter((model) => isNamed(model, name)) : [...models];
  const names = models.map(clusterIdOrName).join(', ');
  if (matching.length === 1) return matching[0]!;
  if (matching.length === 0) throw new InputError(`${where}: no cluster named ${name} (it holds ${names})`);
  throw new InputError(`${where}: holds ${matching.length} clusters${name ? ` named ${name}` : ''} (${names}): pick one with --cluster-name NAME or PROJECT:LOCATION:NAME`);
}

/** Loads the cluster of a `gcloud container clusters describe` or `list --format=json` file into a cluster model. */
export async function loadClusterFile(path: string, name?: string): Promise<ClusterModel> {
  const models = clusterValues(await readJsonFile(path)).map((value, index) => {
    const parsed = GkeClusterSchema.safeParse(value);
    if (!parsed.success) throw new InputError(`${path}${Array.isArray(value) ? `[${index}]` : ''}: not the output of gcloud container clusters describe or list --format=json (${zodIssueText(parsed.error)})`);
    return clusterModelFromGke(parsed.data);
  });
  return pickCluster(models, name, path);
}
