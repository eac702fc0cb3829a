import type { ClusterModel } from '../model/cluster.js';
import type { DeniedFlow } from '../diagnosis/flow.js';
import type { Remediation, Severity } from '../findings/finding.js';
import type { ProofInput } from '../firewall/fix.js';
import type { CauseSpec } from '../findings/causes.js';
import type { FirewallContext } from '../check/context.js';

/** Where a rule's evidence comes from; also groups the rules in docs/rules.md. */
export type RuleSource = 'firewall-log' | 'kubernetes-log' | 'gke-operation' | 'configuration' | 'cluster-state';

/** What every rule documents about itself; docs/rules.md is generated from these fields. */
export interface RuleInfo {
  id: string;
  title: string;
  severity: Severity;
  source: RuleSource;
  /** Why this happens, for the operator reading the finding. */
  why: string;
  /** The general fix; findings carry the exact command for their own flow. */
  remediation: string;
}

export interface FixContext {
  model: ClusterModel;
  /** With the rules in force (`analyze --rules`, a swept cluster's snapshot): what a proposed rule is proved against. */
  proof?: ProofInput;
  /** A swept cluster's live firewall: fixes for traffic `check` also judges are built as `check` builds them. */
  live?: FirewallContext;
}

export interface DenialFix {
  remediation: Remediation;
}

/** A rule that explains one kind of DENIED firewall log entry. */
export interface DenialRule extends RuleInfo {
  source: 'firewall-log';
  matches(flow: DeniedFlow): boolean;
  explain(flow: DeniedFlow): string;
  fix(flow: DeniedFlow, context: FixContext): DenialFix;
  /** What the denial is evidence of, when it is not the flow being blocked (a name resolving to public addresses is DNS). */
  cause?(flow: DeniedFlow): CauseSpec | undefined;
}
