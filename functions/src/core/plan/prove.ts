import type { Finding } from '../findings/finding.js';
import type { Plan, PlanChange } from './plan.js';

/** A change a check can apply to its inputs: its Config Connector manifest says everything it does. */
export const simulable = (change: PlanChange): boolean => change.manifest !== null && /^kind: /m.test(change.manifest);

/**
 * Judges a plan by what the findings are with it applied: verified only when every finding it
 * claims to fix is gone (or, for a logged denial, its flow is now allowed), no finding appears
 * that was not there before, and every change could be applied to the inputs.
 */
export function provePlan(plan: Plan, before: readonly Pick<Finding, 'id'>[], after: readonly Pick<Finding, 'id' | 'rule' | 'title' | 'allowedNow'>[]): Plan {
  const still = new Map(after.filter((finding) => !finding.allowedNow).map((finding) => [finding.id, finding]));
  const known = new Set(before.map((finding) => finding.id));
  const unapplied = plan.changes.filter((change) => !simulable(change));
  const claimed = [...new Set(plan.changes.filter(simulable).flatMap((change) => change.fixes))];
  const unfixed = claimed.filter((id) => still.has(id));
  // A logged denial the plan lets through is the same evidence named by another deciding rule: not new.
  const appeared = after.filter((finding) => !known.has(finding.id) && !finding.allowedNow);
  const notes = [
    ...unfixed.map((id) => `With the plan applied, ${id.slice(0, 8)} (${still.get(id)!.rule}) is still there.`),
    ...appeared.map((finding) => `With the plan applied, a new finding appears: ${finding.id.slice(0, 8)} (${finding.rule}: ${finding.title}).`),
    ...unapplied.map((change) => `Change ${change.id} (${change.resource}) is a command kfguard cannot apply to the inputs, so what it fixes was not re-checked.`),
  ];
  return { ...plan, verified: unfixed.length === 0 && appeared.length === 0 && unapplied.length === 0, notes: [...plan.notes, ...notes] };
}
