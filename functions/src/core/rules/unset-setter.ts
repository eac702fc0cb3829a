import { checkObservation } from '../check/observation.js';
import type { PlaceholderSpec } from '../config/specs.js';
import { MAX_RESOURCES } from '../findings/finding.js';
import type { CheckRule } from './check-rule.js';

export const unsetSetter: CheckRule = {
  id: 'unset-setter',
  title: 'A blueprint placeholder was never set',
  severity: 'warning',
  source: 'configuration',
  requires: [],
  why: "The Kubeflow blueprint ships placeholders (`REGION`, `project-id/location/name`, a bare `name`) that `make set-values` replaces through kpt setters. One left unset creates resources called `name`, in region `REGION`, or references that point nowhere, and Config Connector reports them not Ready long after `make apply` \"succeeded\".",
  remediation: 'Set the value with kpt (`kpt cfg set ./instance name my-kf`, `gcloud.compute.region`, `location`...), or `kfguard blueprint enable-private DIR --set KEY=VALUE`.',
  check(context) {
    const byValue = new Map<string, PlaceholderSpec[]>();
    for (const placeholder of context.config.placeholders) byValue.set(placeholder.value, [...(byValue.get(placeholder.value) ?? []), placeholder]);
    return [...byValue].map(([value, places]) =>
      checkObservation(unsetSetter, {
        key: [value],
        resources: places.slice(0, MAX_RESOURCES).map((place) => `${place.resource}:${place.field}`),
        explanation: `"${value}" is still a placeholder in ${places.length} place${places.length === 1 ? '' : 's'}: ${places
          .slice(0, 5)
          .map((place) => `${place.resource} ${place.field} (${place.location})`)
          .join(', ')}${places.length > 5 ? ', …' : ''}.`,
        remediation: {
          summary: `Set the setter that produces "${value}" before applying.`,
          gcloud: null,
          manifest: null,
        },
      }),
    );
  },
};
