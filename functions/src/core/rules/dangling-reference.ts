import { checkObservation } from '../check/observation.js';
import type { CheckRule } from './check-rule.js';

export const danglingReference: CheckRule = {
  id: 'dangling-reference',
  title: 'A reference points at no resource in the inputs',
  severity: 'warning',
  source: 'configuration',
  requires: [],
  why: "Config Connector resources refer to each other by name (networkRef, subnetworkRef, routerRef, managedZoneRef). A reference to a name no manifest defines is the blueprint's typical failure: a firewall rule or route on the wrong network, which Config Connector leaves not Ready.",
  remediation: 'Point the reference at a resource that is defined, or add the missing resource (or pass it as input if it lives elsewhere).',
  check(context) {
    const seen = new Set<string>();
    return context.config.references.flatMap((reference) => {
      const key = `${reference.from}|${reference.field}|${reference.targetName}`;
      if (seen.has(key) || context.config.defined.get(reference.targetKind)?.has(reference.targetName)) return [];
      seen.add(key);
      return [
        checkObservation(danglingReference, {
          key: [reference.from, reference.field, reference.targetName],
          resources: [reference.from, `${reference.targetKind}/${reference.targetName}`],
          explanation: `${reference.from} (${reference.location}) has ${reference.field}.name "${reference.targetName}", but no ${reference.targetKind} of that name is defined in the inputs.`,
          remediation: {
            summary: `Define ${reference.targetKind} "${reference.targetName}" or correct ${reference.from}'s ${reference.field}.`,
            gcloud: null,
            manifest: null,
          },
        }),
      ];
    });
  },
};
