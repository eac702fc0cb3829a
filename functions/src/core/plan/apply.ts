import { addManifestText } from '../config/manifests.js';
import { finalizeConfig } from '../config/finalize.js';
import { emptyNetworkConfig, type ConfigRejection, type NetworkConfig } from '../config/specs.js';
import { simulable } from './prove.js';
import type { PlanChange } from './plan.js';

/**
 * The configuration as it would be with the plan's changes applied: each change's Config
 * Connector manifest read as a plan document, which wins over the live and manifest copies of
 * the same resource. Changes that are commands only are named in the notes.
 */
export function withPlanApplied(config: NetworkConfig, changes: readonly Pick<PlanChange, 'id' | 'resource' | 'manifest'>[], source: string): { config: NetworkConfig; rejected: ConfigRejection[] } {
  const rejected: ConfigRejection[] = [];
  const planned = emptyNetworkConfig();
  const sink = { config: planned, reject: (where: string, reason: string) => rejected.push({ source: where, reason }), kind: 'plan' as const };
  const notes: string[] = [];
  for (const change of changes) {
    if (simulable(change as PlanChange)) addManifestText(change.manifest!, `${source}#${change.id}`, sink);
    else notes.push(`Change ${change.id} of ${source} (${change.resource}) has no Config Connector resource: it was not applied to the inputs.`);
  }
  const applied: NetworkConfig = {
    ...config,
    firewalls: [...config.firewalls, ...planned.firewalls],
    firewallPolicies: [...config.firewallPolicies, ...planned.firewallPolicies],
    policyAttachments: [...config.policyAttachments, ...planned.policyAttachments],
    routes: [...config.routes, ...planned.routes],
    routers: [...config.routers, ...planned.routers],
    nats: [...config.nats, ...planned.nats],
    zones: [...config.zones, ...planned.zones],
    records: [...config.records, ...planned.records],
    coverage: new Set([...config.coverage, ...planned.coverage]),
    notes: [...config.notes, ...notes],
  };
  return { config: finalizeConfig(applied), rejected };
}
