import type { Observation } from '../findings/finding.js';
import type { CheckContext } from '../check/context.js';
import type { Coverage } from '../config/specs.js';
import type { RuleInfo } from './rule.js';

/** A rule over configuration (manifests, exports, live API state) rather than over log entries. */
export interface CheckRule extends RuleInfo {
  source: 'configuration' | 'cluster-state';
  /** Inputs the check needs; without them it is skipped, and the report says so. */
  requires: readonly Coverage[];
  check(context: CheckContext): Observation[];
}
