/**
 * A GKE cluster as kfguard prints and reads it everywhere, `PROJECT:LOCATION:NAME`: the id of its
 * document in the `clusters` collection, what `clusters list`, findings, notifications and the
 * dashboard show, and what the flags that name a cluster take.
 */
export interface ClusterId {
  project: string;
  location: string;
  name: string;
}

export class ClusterIdError extends Error {}

/** Project ids may be domain-scoped (`example.com:ml-prod`): the colon and the dot are theirs. */
const PROJECT = /^[a-z0-9]([-a-z0-9.:]*[a-z0-9])?$/;
/** Locations and cluster names are lowercase letters, digits and hyphens. */
const LOCATION_OR_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MAX_PART = 100;

export function formatClusterId(id: ClusterId): string {
  return `${id.project}:${id.location}:${id.name}`;
}

export function isClusterName(text: string): boolean {
  return LOCATION_OR_NAME.test(text) && text.length <= MAX_PART;
}

/** The id, after checking that each part is one GCP would accept. Throws ClusterIdError naming the part. */
export function checkedClusterId(id: ClusterId): ClusterId {
  for (const [what, value, valid] of [
    ['project', id.project, PROJECT.test(id.project) && id.project.length <= MAX_PART],
    ['location', id.location, isClusterName(id.location)],
    ['name', id.name, isClusterName(id.name)],
  ] as const) {
    if (!valid) throw new ClusterIdError(`${what} "${value}" is not a valid GCP ${what}`);
  }
  return id;
}

/**
 * Reads `PROJECT:LOCATION:NAME`; location and name never hold a colon, so a domain-scoped project
 * keeps its own. The error says why without repeating the text, for messages that name it already.
 */
export function parseClusterId(text: string): ClusterId {
  const parts = text.split(':');
  if (parts.length < 3) throw new ClusterIdError('not a cluster id: write it PROJECT:LOCATION:NAME (for example acme-ml-prod:us-central1:kf-prod)');
  const name = parts.pop()!;
  const location = parts.pop()!;
  try {
    return checkedClusterId({ project: parts.join(':'), location, name });
  } catch (error) {
    if (error instanceof ClusterIdError) throw new ClusterIdError(`not a cluster id: ${error.message}`);
    throw error;
  }
}
