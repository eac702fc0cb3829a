import type { Location, PlaceholderSpec } from './specs.js';

/** Values the Kubeflow blueprint ships in place of real ones, until `kpt cfg set` replaces them. */
const PLACEHOLDER_VALUES = new Set([
  'REGION',
  'ZONE',
  'LOCATION',
  'PROJECT',
  'PROJECT_ID',
  'project-id',
  'project-id/location/name',
  'KUBEFLOW-NAME',
  'MANAGEMENT-CTXT',
  'EMAIL',
  '<YOUR_KF_NAME>',
  '<PROJECT_TO_DEPLOY_IN>',
]);
/** The blueprint's bare `name` setter is a placeholder only where a name is expected. */
const NAME_FIELD = /(^metadata\.name$|Ref\.name$)/;

const MAX_DEPTH = 12;

/** Walks a resource's scalars (bounded) and reports placeholder values with their field paths. */
export function findPlaceholders(resource: string, value: unknown, location: Location, path = '', depth = 0): PlaceholderSpec[] {
  if (typeof value === 'string') {
    const isPlaceholder = PLACEHOLDER_VALUES.has(value) || (value === 'name' && NAME_FIELD.test(path));
    return isPlaceholder ? [{ value, resource, field: path, location }] : [];
  }
  if (depth >= MAX_DEPTH || value === null || typeof value !== 'object') return [];
  const entries = Array.isArray(value) ? value.map((item, i) => [`[${i}]`, item] as const) : Object.entries(value).map(([key, item]) => [`${path ? '.' : ''}${key}`, item] as const);
  return entries.flatMap(([key, item]) => findPlaceholders(resource, item, location, `${path}${key}`, depth + 1));
}
