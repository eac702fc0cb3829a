// Writes the files generated from the code (`npm run generate`); tests fail when they are stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';
import { renderRulesDoc } from '../functions/src/core/report/rules-doc.js';
import { ALL_RULES } from '../functions/src/core/rules/index.js';
import { renderTerraformNames } from '../functions/src/core/pipeline/terraform-names.js';

/**
 * The demo scenario's live network as `gcloud ... --format=json` exports it, for `check` and
 * `plan` on the bundled samples without the local stack: the same rules, routes and zones the
 * stack's Compute and DNS servers answer with.
 */
function liveNetworkSample(): string {
  const scenario = parse(readFileSync('functions/samples/demo/scenario.yaml', 'utf8')) as {
    compute: Record<'networks' | 'subnetworks' | 'firewalls' | 'routes' | 'routers', unknown[]>;
    dns: { managedZones: unknown[]; recordSets: Record<string, unknown[]> };
  };
  const { compute, dns } = scenario;
  const resources = [...compute.networks, ...compute.subnetworks, ...compute.firewalls, ...compute.routes, ...compute.routers, ...dns.managedZones, ...Object.values(dns.recordSets).flat()];
  return `${JSON.stringify(resources, null, 2)}\n`;
}

export const GENERATED: Record<string, () => string> = {
  'docs/rules.md': () => renderRulesDoc(ALL_RULES),
  'infra/modules/kfguard/names.tf.json': renderTerraformNames,
  'functions/samples/live-network.json': liveNetworkSample,
};

if (process.argv[1]?.endsWith('generate.ts')) {
  for (const [path, render] of Object.entries(GENERATED)) writeFileSync(path, render());
}
